import { ConfigError } from "../errors.js";
import type { ConfigValue, SectionValues } from "./config-value.js";
import { pyFirstNonSpace, pyIsSpace, pyRstrip, pyStrip } from "./python-text.js";

/** The name of the section whose options every other section sees. */
export const DEFAULT_SECTION = "DEFAULT";

/** One configuration file, parsed but not merged with any other. */
export interface ParsedIniFile {
  readonly file: string;
  /** Options of `[DEFAULT]`. */
  readonly defaults: SectionValues;
  /** Every other section, in file order; section names keep their case. */
  readonly sections: Map<string, SectionValues>;
}

interface PendingValue {
  readonly line: number;
  readonly pieces: string[];
  readonly lines: number[];
}

// An option line: the name runs up to the first `=` or `:` (fail2ban's Python parser is as permissive).
const OPTION_LINE = /^(.*?)[\s\x1c-\x1f\x85]*([=:])(.*)$/s;
const SECTION_LINE = /^\[(.+)\]/s;

/**
 * Parses one file of fail2ban's INI dialect, which is Python's ConfigParser as fail2ban configures it:
 * `name = value` or `name: value` (the first `=` or `:` splits), option names lower-cased, section names kept as
 * written, values continued on lines indented deeper than the option line, blank lines kept inside a value and
 * trailing ones dropped, whole-line comments starting with `#` or `;`, and inline comments only for ` ;` (a `;`
 * preceded by whitespace; ` #` is part of the value). A section or option defined twice in the same file is an
 * error, as in fail2ban; across files sections merge (see the loader).
 *
 * @example
 * parseIni("[Definition]\nfailregex = ^a <HOST>\n            ^b <HOST>\n", "x.conf").sections.get("Definition")
 */
export function parseIni(text: string, file: string): ParsedIniFile {
  const defaults: SectionValues = new Map();
  const sections = new Map<string, SectionValues>();
  const pending = new Map<SectionValues, Map<string, PendingValue>>();
  let current: { name: string; values: SectionValues } | undefined;
  let optionName: string | undefined;
  let indentLevel = 0;

  const lines = text.split(/\r\n|\r|\n/);
  // A final newline does not start another line.
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();

  lines.forEach((line, index) => {
    const lineNo = index + 1;
    const commentStart = findCommentStart(line);
    const value = pyStrip(commentStart === undefined ? line : line.slice(0, commentStart));
    const open = current && optionName !== undefined ? pending.get(current.values)?.get(optionName) : undefined;
    if (value === "") {
      // A blank line belongs to the value being read; a comment line is skipped without ending it.
      if (commentStart === undefined && open) {
        open.pieces.push("");
        open.lines.push(lineNo);
      }
      return;
    }
    const indent = Math.max(pyFirstNonSpace(line), 0);
    if (open && indent > indentLevel) {
      open.pieces.push(value);
      open.lines.push(lineNo);
      return;
    }
    indentLevel = indent;
    const header = SECTION_LINE.exec(value);
    if (header) {
      const name = header[1]!;
      optionName = undefined;
      if (name === DEFAULT_SECTION) {
        current = { name, values: defaults };
        return;
      }
      if (sections.has(name)) {
        throw new ConfigError(`section [${name}] is defined twice in this file`, { file, line: lineNo, section: name });
      }
      current = { name, values: new Map() };
      sections.set(name, current.values);
      return;
    }
    if (!current) {
      throw new ConfigError(`expected a [section] header before '${value}'`, { file, line: lineNo });
    }
    const option = OPTION_LINE.exec(value);
    if (!option) {
      throw new ConfigError(`expected 'name = value' or a [section] header, found '${value}'`, {
        file,
        line: lineNo,
        section: current.name,
      });
    }
    const name = pyRstrip(option[1]!).toLowerCase();
    if (name === "") {
      throw new ConfigError(`option name missing before '${option[2]}'`, { file, line: lineNo, section: current.name });
    }
    let sectionPending = pending.get(current.values);
    if (!sectionPending) {
      sectionPending = new Map();
      pending.set(current.values, sectionPending);
    }
    if (sectionPending.has(name)) {
      throw new ConfigError(`option is defined twice in this section of this file`, {
        file,
        line: lineNo,
        section: current.name,
        option: name,
      });
    }
    optionName = name;
    sectionPending.set(name, { line: lineNo, pieces: [pyStrip(option[3]!)], lines: [lineNo] });
    // Reserve the position now so the option order follows the file.
    current.values.set(name, { value: "", file, line: lineNo });
  });

  for (const [values, options] of pending) {
    for (const [name, open] of options) values.set(name, joinValue(open, file));
  }
  return { file, defaults, sections };
}

/** Joins the lines of a value and drops trailing blank ones, as Python's parser does. */
function joinValue(open: PendingValue, file: string): ConfigValue {
  const pieces = [...open.pieces];
  const lines = [...open.lines];
  while (pieces.length > 1 && pieces[pieces.length - 1] === "") {
    pieces.pop();
    lines.pop();
  }
  return { value: pieces.join("\n"), file, line: open.line, lines };
}

/** Where a comment starts in a raw line: a whole-line `#`/`;` comment, or an inline `;` after whitespace. */
function findCommentStart(line: string): number | undefined {
  const trimmed = pyStrip(line);
  if (trimmed.startsWith("#") || trimmed.startsWith(";")) return 0;
  let index = line.indexOf(";");
  while (index !== -1) {
    if (index === 0 || pyIsSpace(line[index - 1])) return index;
    index = line.indexOf(";", index + 1);
  }
  return undefined;
}

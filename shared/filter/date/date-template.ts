import { PyRegex, type PyRegexOptions, PythonRegexError } from "../regex/python-regex.js";
import { DatePatternError } from "./date-errors.js";
import { type DateGroupPlan, PREFIX_GROUP, planDateGroup } from "./date-group.js";
import { type DateTemplateSpec, expandTimeCodes, patternIndex, stripMarkers } from "./date-pattern.js";
import type { NativeRegex } from "./native-regex.js";
import { type StrptimeContext, strptimeToEpoch } from "./strptime.js";
import { asciiDigits } from "./unicode-digits.js";

/**
 * A template's match in a line: the whole match, the date (fail2ban's group 1) and the group values, `values[i]`
 * belonging to the group named `fieldNames[i]` of the template.
 */
export interface TemplateMatch {
  readonly start: number;
  readonly end: number;
  readonly dateStart: number;
  readonly dateEnd: number;
  readonly values: ArrayLike<string | undefined>;
}

/** Searches `line` from `pos`, seeing nothing at or after `endpos` (Python's `search(line, pos, endpos)`). */
type Finder = (line: string, pos: number, endpos: number) => TemplateMatch | null;

/**
 * Built-in regexes have the shape `prefix (date) zero-width-suffix`, so group 1 ends where the match ends and its
 * start follows from its length; this spares the `d` flag, whose index arrays cost more than the search itself.
 */
function nativeFinder(native: NativeRegex): Finder {
  let regex: RegExp | undefined;
  return (line, pos, endpos) => {
    regex ??= native.regex;
    regex.lastIndex = pos;
    const m = regex.exec(endpos < line.length ? line.slice(0, endpos) : line);
    if (!m) return null;
    const end = m.index + m[0].length;
    return { start: m.index, end, dateStart: end - (m[1]?.length ?? 0), dateEnd: end, values: m };
  };
}

function pythonFinder(spec: DateTemplateSpec, plan: DateGroupPlan, fieldNames: readonly string[]): Finder {
  const options: { ignoreCase?: boolean; multiline?: boolean; dotAll?: boolean } = {};
  let source = plan.source;
  if (/^[imsu]*$/.test(plan.globalFlags)) {
    if (plan.globalFlags.includes("i")) options.ignoreCase = true;
    if (plan.globalFlags.includes("m")) options.multiline = true;
    if (plan.globalFlags.includes("s")) options.dotAll = true;
  } else {
    source = `(?${plan.globalFlags})${source}`;
  }
  let regex: PyRegex;
  try {
    regex = PyRegex.compile(source, options as PyRegexOptions);
  } catch (error) {
    const pattern = spec.pattern ?? spec.name;
    const reason = error instanceof PythonRegexError ? error.reason : (error as Error).message;
    throw new DatePatternError(`invalid regular expression: ${reason}`, pattern, errorIndex(spec, pattern), {
      cause: error,
    });
  }
  return (line, pos, endpos) => {
    const m = regex.search(endpos < line.length ? line.slice(0, endpos) : line, pos);
    if (!m) return null;
    const values = fieldNames.map((name) => m.groups[name]);
    const date = plan.dateGroup === undefined ? m.text : m.groups[plan.dateGroup];
    if (date === undefined) return { start: m.start, end: m.end, dateStart: m.start, dateEnd: m.start, values };
    let dateStart: number;
    if (plan.dateGroup === undefined) dateStart = m.start;
    else if (plan.prefixed) dateStart = m.start + (m.groups[PREFIX_GROUP] ?? "").length;
    else dateStart = m.start + Math.max(0, m.text.indexOf(date));
    return { start: m.start, end: m.end, dateStart, dateEnd: dateStart + date.length, values };
  };
}

/**
 * Where in the datepattern a regex error is: the pattern's own regex (its % codes expanded) is compiled alone and the
 * error position mapped back through the expansion; 0 when that does not locate it.
 */
function errorIndex(spec: DateTemplateSpec, pattern: string): number {
  if (spec.kind !== "strptime") return 0;
  const { body, offset } = stripMarkers(pattern);
  const expanded = expandTimeCodes(body);
  try {
    PyRegex.compile(expanded.regex);
  } catch (error) {
    if (error instanceof PythonRegexError)
      return offset + patternIndex(expanded, Math.min(error.index, expanded.regex.length));
  }
  return 0;
}

/**
 * One date template, compiled once: its regex search and the conversion of its match to epoch seconds. Built-in
 * templates compile to native JavaScript; user patterns go through the Python-regex translator.
 */
export class DateTemplate {
  private readonly find: Finder;
  /** Name of the group each match value belongs to. */
  readonly fieldNames: readonly string[];

  constructor(
    readonly spec: DateTemplateSpec,
    options: { native?: NativeRegex; weight?: number; requires?: string } = {},
  ) {
    if (options.native) {
      this.fieldNames = options.native.groupNames;
      this.find = nativeFinder(options.native);
    } else {
      const plan = planDateGroup(spec.regex);
      this.fieldNames = [...plan.source.matchAll(/\(\?P<(\w+)>/g)].map((m) => m[1]!);
      this.find = pythonFinder(spec, plan, this.fieldNames);
    }
    this.weight = options.weight ?? 1;
    this.requires = options.requires;
    const seconds = this.fieldNames.flatMap((name, i) => (name === "S" ? [i] : []));
    this.secondsIndex = spec.kind === "strptime" && seconds.length === 1 ? seconds[0]! : -1;
  }

  /**
   * Index in `fieldNames` of the seconds field (`%S`) of a strptime template that has exactly one, else -1: the
   * dates whose time can be remembered per minute (see minute-cache).
   */
  readonly secondsIndex: number;

  /** fail2ban's preference weight: 100 for the line-begin copies of the built-in templates, else 1. */
  readonly weight: number;
  /** A character every match contains: lines without it are skipped without running the regex. */
  readonly requires: string | undefined;

  get name(): string {
    return this.spec.name;
  }

  get flags(): number {
    return this.spec.flags;
  }

  /** Python's `search(line, pos, endpos)` with this template's regex. */
  search(line: string, pos = 0, endpos = line.length): TemplateMatch | null {
    if (this.requires !== undefined && !line.includes(this.requires)) return null;
    return this.find(line, pos, endpos);
  }

  /** The time of a match in epoch seconds, or null when the matched text is no valid date. */
  toTime(line: string, match: TemplateMatch, context: StrptimeContext): number | null {
    switch (this.spec.kind) {
      case "strptime":
        return strptimeToEpoch(this.fieldNames, match.values, context);
      case "tai64n": {
        const label = line.slice(match.dateStart + 2, match.dateStart + 17);
        return /^[0-9a-f]{15}$/.test(label) ? Number(BigInt(`0x${label}`)) : null;
      }
      default: {
        const raw =
          this.spec.valueGroup !== undefined
            ? match.values[this.fieldNames.indexOf(this.spec.valueGroup)]
            : line.slice(match.dateStart, match.dateEnd);
        const text = raw === undefined ? undefined : asciiDigits(raw);
        if (text === undefined || !/^\d+(?:\.\d+)?$/.test(text)) return null;
        const value = Number(text);
        if (this.spec.kind === "longEpoch" && text.length >= 13) {
          return text.length >= 16 && !text.includes(".") ? value / 1_000_000 : value / 1000;
        }
        return value;
      }
    }
  }
}

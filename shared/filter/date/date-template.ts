import { PyRegex, type PyRegexOptions } from "../regex/python-regex.js";
import { DatePatternError } from "./date-errors.js";
import { PREFIX_GROUP, planDateGroup } from "./date-group.js";
import type { DateTemplateSpec } from "./date-pattern.js";
import { type StrptimeContext, strptimeToEpoch } from "./strptime.js";

/** A template's match in a line: the whole match, the date (fail2ban's group 1) and the named groups. */
export interface TemplateMatch {
  readonly start: number;
  readonly end: number;
  readonly dateStart: number;
  readonly dateEnd: number;
  readonly groups: Readonly<Record<string, string | undefined>>;
}

/** Searches `line` from `pos`, seeing nothing at or after `endpos` (Python's `search(line, pos, endpos)`). */
type Finder = (line: string, pos: number, endpos: number) => TemplateMatch | null;

function nativeFinder(regex: RegExp): Finder {
  return (line, pos, endpos) => {
    regex.lastIndex = pos;
    const m = regex.exec(endpos < line.length ? line.slice(0, endpos) : line);
    if (!m) return null;
    const date = m.indices?.[1];
    const end = m.index + m[0].length;
    return {
      start: m.index,
      end,
      dateStart: date ? date[0] : m.index,
      dateEnd: date ? date[1] : m.index,
      groups: m.groups ?? {},
    };
  };
}

function pythonFinder(spec: DateTemplateSpec): Finder {
  const plan = planDateGroup(spec.regex);
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
    throw new DatePatternError(
      `invalid regular expression (${(error as Error).message})`,
      pattern,
      Math.max(0, pattern.length - 1),
      { cause: error },
    );
  }
  return (line, pos, endpos) => {
    const m = regex.search(endpos < line.length ? line.slice(0, endpos) : line, pos);
    if (!m) return null;
    const date = plan.dateGroup === undefined ? m.text : m.groups[plan.dateGroup];
    if (date === undefined)
      return { start: m.start, end: m.end, dateStart: m.start, dateEnd: m.start, groups: m.groups };
    let dateStart: number;
    if (plan.dateGroup === undefined) dateStart = m.start;
    else if (plan.prefixed) dateStart = m.start + (m.groups[PREFIX_GROUP] ?? "").length;
    else dateStart = m.start + Math.max(0, m.text.indexOf(date));
    return { start: m.start, end: m.end, dateStart, dateEnd: dateStart + date.length, groups: m.groups };
  };
}

/**
 * One date template, compiled once: its regex search and the conversion of its match to epoch seconds. Built-in
 * templates compile to native JavaScript; user patterns go through the Python-regex translator.
 */
export class DateTemplate {
  private readonly find: Finder;

  constructor(
    readonly spec: DateTemplateSpec,
    options: { native?: RegExp; weight?: number; requires?: string } = {},
  ) {
    this.find = options.native ? nativeFinder(options.native) : pythonFinder(spec);
    this.weight = options.weight ?? 1;
    this.requires = options.requires;
  }

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
        return strptimeToEpoch(match.groups, context);
      case "tai64n": {
        const label = line.slice(match.dateStart + 2, match.dateStart + 17);
        return /^[0-9a-f]{15}$/.test(label) ? Number(BigInt(`0x${label}`)) : null;
      }
      default: {
        const text =
          this.spec.valueGroup !== undefined
            ? match.groups[this.spec.valueGroup]
            : line.slice(match.dateStart, match.dateEnd);
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

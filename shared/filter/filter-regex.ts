// The three kinds of regex a filter holds (prefregex, failregex, ignoreregex), compiled through the failregex tag
// layer, with errors that name the filter file, the option and the position, and matches that say which buffered
// lines they cover.
import { ConfigError } from "../errors.js";
import { type FailGroups, type FailMatch, FailRegex, FailRegexError, type UseDns } from "./regex/fail-regex.js";
import type { PyMatch } from "./regex/python-regex.js";
import { splitByMatch, type TupleLine } from "./tuple-lines.js";

/** Where a regex was configured, for error messages. */
export interface RegexOrigin {
  readonly file?: string;
  readonly line?: number;
}

/** A match of a filter regex in a buffer. */
export interface FilterRegexHit {
  readonly start: number;
  readonly end: number;
  /** Named groups after fail2ban's merging; tuple failure ids already in their text form. */
  readonly groups: Record<string, string | undefined>;
}

/** The buffered lines a match covers, and the rest (what stays buffered). */
export interface FilterRegexSplit {
  readonly matched: TupleLine[];
  readonly unmatched: TupleLine[];
}

/** A compiled prefregex, failregex or ignoreregex. */
export interface FilterRegex {
  /** The regex as configured, tags included. */
  readonly regex: string;
  /** Its named groups (Python names). */
  readonly groupNames: readonly string[];
  /** Literal text every match begins with (the regex is anchored at the text's start), or "". */
  readonly literalPrefix: string;
  /** The keys of every hit's groups, when they are always the same (no ALT_/TUPLE_ merging), else undefined. */
  readonly fixedGroupKeys: readonly string[] | undefined;
  /** Searches `text` (a buffer text, see tuple-lines). */
  search(text: string): FilterRegexHit | null;
  /** `search(text)?.groups`: the groups alone, allocating no match object (enough when the text is one line). */
  searchGroups(text: string): Record<string, string | undefined> | null;
  /** Which lines of `original` (the buffer whose text is `text`) the hit covers, and which stay buffered. */
  split(text: string, hit: FilterRegexHit, original: readonly TupleLine[]): FilterRegexSplit;
  /** fail2ban's getFailID for a match without address: the first id group set, or undefined when none is. */
  failId(groups: Record<string, string | undefined>): string | undefined;
}

/** How to compile a filter regex. */
export interface FilterRegexOptions {
  readonly kind: "prefregex" | "failregex" | "ignoreregex";
  readonly multiline: boolean;
  readonly useDns: UseDns;
  /** The filter file or name. */
  readonly label: string;
  /** Index in its option's list (failregex, ignoreregex). */
  readonly index?: number;
  readonly origin?: RegexOrigin;
  /** The filter's prefregex: its failure-id groups count for a failregex. */
  readonly prefRegex?: FilterRegex | undefined;
}

const compiledOf = new WeakMap<FilterRegex, FailRegex>();

function plainGroups(groups: FailGroups, failId: () => string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(groups)) {
    if (Array.isArray(value)) out[key] = key === "fid" ? failId() : value.filter((v) => v !== undefined).join(" ");
    else out[key] = value as string | undefined;
  }
  return out;
}

/** The failregex layer behind a compiled filter regex (host placement re-searches with it). */
export function failRegexOf(regex: FilterRegex): FailRegex | undefined {
  return compiledOf.get(regex);
}

/** A hit in the form `search` gives, for a match the caller built (host placement's chosen reading of a line). */
export function hitFromMatch(regex: FilterRegex, m: PyMatch): FilterRegexHit {
  const compiled = compiledOf.get(regex);
  if (!compiled) throw new Error("hitFromMatch: not a compiled filter regex");
  const match = compiled.matchFromGroups(m);
  return { start: match.start, end: match.end, groups: plainGroups(match.groups, () => match.failId()) };
}

/**
 * Compiles one filter regex. Throws ConfigError naming the file (and line, when known), the option
 * (`failregex[2]`) and the reason with its position in the pattern.
 */
export function compileFilterRegex(pattern: string, options: FilterRegexOptions): FilterRegex {
  let compiled: FailRegex;
  try {
    const prefix = options.prefRegex ? compiledOf.get(options.prefRegex) : undefined;
    compiled = FailRegex.compile(pattern, {
      useDns: options.useDns,
      multiline: options.multiline,
      prefRegex: options.kind !== "failregex",
      ...(prefix ? { prefix } : {}),
    });
  } catch (error) {
    if (!(error instanceof FailRegexError)) throw error;
    const option = options.index === undefined ? options.kind : `${options.kind}[${options.index + 1}]`;
    throw new ConfigError(
      error.message,
      {
        file: options.origin?.file ?? options.label,
        ...(options.origin?.line !== undefined ? { line: options.origin.line } : {}),
        option,
      },
      { cause: error },
    );
  }
  const skipGroups: string[] = [];
  for (let n = 0; compiled.groupNames.includes(`skiplines${n}`); n++) skipGroups.push(`skiplines${n}`);
  // only TUPLE_ groups give array values; without them, the match itself (fresh, with its own groups object) is the
  // hit: no copy
  const hasTuples = compiled.groupNames.some((name) => /^tuple_/i.test(name));
  const regex: FilterRegex = {
    regex: pattern,
    groupNames: compiled.groupNames,
    literalPrefix: compiled.literalPrefix,
    fixedGroupKeys: compiled.mergesGroups ? undefined : compiled.groupNames,
    search(text) {
      const match = compiled.search(text);
      if (!match) return null;
      if (!hasTuples) return match as FailMatch & { readonly groups: Record<string, string | undefined> };
      return { start: match.start, end: match.end, groups: plainGroups(match.groups, () => match.failId()) };
    },
    searchGroups(text) {
      if (!hasTuples) return compiled.searchGroups(text) as Record<string, string | undefined> | null;
      return this.search(text)?.groups ?? null;
    },
    split(text, hit, original) {
      // a single buffered line is covered whole: nothing to count (the common case, maxlines = 1)
      if (original.length <= 1) return { matched: original as TupleLine[], unmatched: [] };
      let skipped = "";
      for (const name of skipGroups) skipped += hit.groups[name] ?? "";
      const skippedLines =
        skipped !== ""
          ? skipped
              .split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/)
              .filter((l, i, all) => l !== "" || i < all.length - 1)
          : [];
      return splitByMatch(text, hit, original, skippedLines);
    },
    failId(groups) {
      for (const name of ["fid", "ip4", "ip6", "dns"]) if (groups[name] !== undefined) return groups[name];
      return undefined;
    },
  };
  compiledOf.set(regex, compiled);
  return regex;
}

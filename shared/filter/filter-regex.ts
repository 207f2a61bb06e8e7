// The three kinds of regex a filter holds (prefregex, failregex, ignoreregex), compiled through the failregex tag
// layer, with errors that name the filter file, the option and the position, and matches that say which buffered
// lines they cover.
import { ConfigError } from "../errors.js";
import { type FailGroups, FailRegex, FailRegexError, type UseDns } from "./regex/fail-regex.js";
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
  /** The buffered lines the match covers, and the rest (what stays buffered). */
  readonly split: { readonly matched: TupleLine[]; readonly unmatched: TupleLine[] };
}

/** A compiled prefregex, failregex or ignoreregex. */
export interface FilterRegex {
  /** The regex as configured, tags included. */
  readonly regex: string;
  /** Its named groups (Python names). */
  readonly groupNames: readonly string[];
  /** Searches `text` (the buffer text of `original`); `original` is the buffer the split refers to. */
  search(text: string, original?: readonly TupleLine[]): FilterRegexHit | null;
  /** fail2ban's getFailID for a match without address: throws when the match has no id at all. */
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
  // only TUPLE_ groups give array values; without them, a match's groups object (fresh per match) is used as it is
  const hasTuples = compiled.groupNames.some((name) => /^tuple_/i.test(name));
  const regex: FilterRegex = {
    regex: pattern,
    groupNames: compiled.groupNames,
    search(text, original) {
      const match = compiled.search(text);
      if (!match) return null;
      const groups = hasTuples
        ? plainGroups(match.groups, () => match.failId())
        : (match.groups as Record<string, string | undefined>);
      const skipped: string[] = [];
      for (const name of skipGroups) {
        const value = groups[name];
        if (value) skipped.push(value);
      }
      const skippedLines =
        skipped.length > 0
          ? skipped
              .join("")
              .split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/)
              .filter((l, i, all) => l !== "" || i < all.length - 1)
          : [];
      const split = splitByMatch(text, match, original ?? [], skippedLines);
      return { start: match.start, end: match.end, groups, split };
    },
    failId(groups) {
      for (const name of ["fid", "ip4", "ip6", "dns"]) if (groups[name] !== undefined) return groups[name];
      throw new ConfigError(`no failure-id group matched in '${pattern}'`, {
        file: options.label,
        option: options.kind,
      });
    },
  };
  compiledOf.set(regex, compiled);
  return regex;
}

// From a `datepattern` to the regular expression fail2ban searches with: `%` codes expanded, the date wrapped in
// group 1 when the pattern has no group, word or line boundaries added unless the pattern anchors itself, and the
// flags that tell the detector where a template can match (line begin/end).

import { DatePatternError } from "./date-errors.js";
import { TIME_CODE_RE, TIME_CODES } from "./time-codes.js";

/** Where a template's regex is anchored; the detector uses these to decide how to search and when to stop. */
export const TemplateFlags = { LINE_BEGIN: 8, LINE_END: 4, WORD_BEGIN: 2, WORD_END: 1 } as const;

/** How the matched date is turned into a time. */
export type DateKind = "strptime" | "epoch" | "longEpoch" | "tai64n";

/** A template ready to compile: its Python regex (group 1 or `dateGroup` is the date) and how to read it. */
export interface DateTemplateSpec {
  readonly kind: DateKind;
  /** Name as fail2ban-regex shows it ("{^LN-BEG}ExYear(?P<_sep>[-/.])Month..." or "Epoch"). */
  readonly name: string;
  /** The datepattern it was built from; absent for the built-in Epoch and TAI64N templates. */
  readonly pattern?: string;
  /** Python regular expression, global flags such as (?iu) in front. */
  readonly regex: string;
  readonly flags: number;
  /** For epochs written inside a pattern ({EPOCH}): the group holding the number. */
  readonly valueGroup?: string;
}

/** Word boundaries to add: true, false, or "start" for fail2ban's line-begin anchor `^(?:\W{0,2})?`. */
export type BeginBound = boolean | "start";

const RE_GROUPED = /(?<!\(\?)(?<!\\)\((?!\?)/;
const RE_GROUP = /^((?:\(\?\w+\))?\^?(?:\(\?\w+\))?)(.*?)(\$?)$/;
// not after a backslash: fail2ban 1.0 wrote the lookbehind as a lookahead `(?!<\\)` (fixed in 1.1.1), so that an
// escaped `\(?i)` was taken for flags too
const RE_GLOBALFLAGS = /((?:^|(?<!\\))\(\?[a-z]+\))/;
const RE_NO_WRD_BOUND_BEG = /^\(*(?:\(\?\w+\))?(?:\^|\(*\*\*|\((?:\?:)?\^)/;
const RE_NO_WRD_BOUND_END = /(?<!\\)(?:\$\)?|\\b|\\s|\*\*\)*)$/;
const RE_DEL_WRD_BOUNDS = /^\(*(?:\(\?\w+\))?\(*\*\*|(?<!\\)\*\*\)*$/g;
const RE_LINE_BOUND_BEG = /^(?:\(\?\w+\))?(?:\^|\((?:\?:)?\^(?!\|))/;
const RE_LINE_BOUND_END = /(?<![\\|])(?:\$\)?)$/;
const RE_ALPHA_PATTERN = /(?<!%)%[aAbBpc]/;
const RE_UNBOUNDED = /^\{UNB\}/;
const RE_LINE_BEGIN_MARK = /^\{\^LN-BEG\}/;

/** The line-begin anchor: a date at the very start, after at most two punctuation characters ("[", "<" ...). */
export const LINE_BEGIN_PREFIX = "^(?:\\W{0,2})?";
/** Accepts a start only where a word does not continue from the left. */
export const WORD_BEGIN_PREFIX = "(?=^|\\b|\\W)";
/** Accepts an end only where a word does not continue to the right. */
export const WORD_END_SUFFIX = "(?=\\b|\\W|$)";

/** Result of adding boundaries to a regex. */
export interface BoundRegex {
  readonly regex: string;
  readonly flags: number;
  readonly name: string;
}

/**
 * fail2ban's boundary rules for a template regex: global flags move to the front, the date is wrapped in a group
 * when there is none, `**` at either end suppresses the boundary there, `^`/`$` mark line-anchored templates.
 */
export function addBounds(source: string, name: string, wordBegin: BeginBound, wordEnd: boolean): BoundRegex {
  let regex = source.trim();
  const globalFlags = RE_GLOBALFLAGS.exec(regex);
  if (globalFlags) regex = regex.replace(RE_GLOBALFLAGS, "");
  const boundBegin = wordBegin !== false && !RE_NO_WRD_BOUND_BEG.test(regex);
  const boundEnd = wordEnd && !RE_NO_WRD_BOUND_END.test(regex);
  if (!RE_GROUPED.test(regex)) regex = regex.replace(RE_GROUP, "$1($2)$3");
  let flags = 0;
  let shownName = name;
  if (boundBegin) {
    if (wordBegin === "start") {
      flags |= TemplateFlags.LINE_BEGIN;
      regex = LINE_BEGIN_PREFIX + regex;
      if (!shownName.startsWith("{^LN-BEG}")) shownName = `{^LN-BEG}${shownName}`;
    } else {
      flags |= TemplateFlags.WORD_BEGIN;
      regex = WORD_BEGIN_PREFIX + regex;
    }
  }
  if (boundEnd) {
    flags |= TemplateFlags.WORD_END;
    regex += WORD_END_SUFFIX;
  }
  if (!(flags & TemplateFlags.LINE_BEGIN) && RE_LINE_BOUND_BEG.test(regex)) flags |= TemplateFlags.LINE_BEGIN;
  if (!(flags & TemplateFlags.LINE_END) && RE_LINE_BOUND_END.test(regex)) flags |= TemplateFlags.LINE_END;
  regex = regex.replace(RE_DEL_WRD_BOUNDS, (m) => m.replaceAll("**", ""));
  if (globalFlags) regex = globalFlags[1] + regex;
  return { regex, flags, name: shownName };
}

/** A `%` code expansion: the Python regex and display name of a pattern, and where each regex part came from. */
export interface ExpandedPattern {
  readonly regex: string;
  readonly name: string;
  /** Pairs [offset in regex, offset in pattern], ascending, to map a regex error back to the pattern. */
  readonly sourceMap: ReadonlyArray<readonly [number, number]>;
  /** Pattern offsets where a `%` code starts. */
  readonly codeStarts: ReadonlySet<number>;
}

/** Expands the `%` codes of `pattern`; throws DatePatternError at a `%` that starts no known code. */
export function expandTimeCodes(pattern: string): ExpandedPattern {
  let regex = "";
  let name = "";
  const sourceMap: Array<readonly [number, number]> = [];
  const codeStarts = new Set<number>();
  let last = 0;
  const literal = (end: number): void => {
    const text = pattern.slice(last, end);
    const stray = text.indexOf("%");
    if (stray >= 0) {
      const at = last + stray;
      const code = pattern.slice(at, pattern.startsWith("%Ex", at) ? at + 4 : at + 2);
      throw new DatePatternError(
        `unknown % code ${JSON.stringify(code)} (write %% for a literal percent sign)`,
        pattern,
        at,
      );
    }
    if (text) sourceMap.push([regex.length, last]);
    regex += text;
    name += text;
  };
  for (const m of pattern.matchAll(TIME_CODE_RE)) {
    literal(m.index);
    const code = TIME_CODES.get(m[1]!)!;
    sourceMap.push([regex.length, m.index]);
    codeStarts.add(m.index);
    regex += code.regex;
    name += code.name;
    last = m.index + m[0].length;
  }
  literal(pattern.length);
  return { regex, name, sourceMap, codeStarts };
}

/** Maps a position in an expansion's regex back to the pattern: inside a `%` code's expansion, the code itself. */
export function patternIndex(expanded: ExpandedPattern, regexIndex: number): number {
  let mapped = 0;
  for (const [regexOffset, patternOffset] of expanded.sourceMap) {
    if (regexOffset > regexIndex) break;
    mapped = patternOffset;
    // Literal text maps one to one; a % code expansion maps to the code's start.
    if (!expanded.codeStarts.has(patternOffset)) mapped += regexIndex - regexOffset;
  }
  return mapped;
}

/**
 * Builds the template of a strptime-style datepattern (`%Y-%m-%d %H:%M:%S`, `^\[%d/%b/%Y`, `{^LN-BEG}%H:%M:%S`,
 * `{UNB}...`), as fail2ban's DatePatternRegex. Throws DatePatternError with the position of a bad `%` code.
 */
export function parseDatePattern(pattern: string, wordBegin: BeginBound = true, wordEnd = true): DateTemplateSpec {
  const { body, begin, end, offset } = stripMarkers(pattern, wordBegin, wordEnd);
  let expanded: ExpandedPattern;
  try {
    expanded = expandTimeCodes(body);
  } catch (error) {
    if (!(error instanceof DatePatternError)) throw error;
    throw new DatePatternError(error.reason, pattern, offset + error.index);
  }
  let regex = expanded.regex;
  if (RE_ALPHA_PATTERN.test(body)) regex = `(?iu)${regex}`;
  const bound = addBounds(regex, expanded.name, begin, end);
  return { kind: "strptime", name: bound.name, pattern, regex: bound.regex, flags: bound.flags };
}

/** A pattern without its leading {UNB} / {^LN-BEG} markers, the boundaries they ask for, and where the body starts. */
export function stripMarkers(
  pattern: string,
  wordBegin: BeginBound = true,
  wordEnd = true,
): { body: string; begin: BeginBound; end: boolean; offset: number } {
  let body = pattern;
  let begin = wordBegin;
  let end = wordEnd;
  if (RE_UNBOUNDED.test(body)) {
    body = body.replace(RE_UNBOUNDED, "");
    begin = false;
    end = false;
  }
  if (begin !== false && RE_LINE_BEGIN_MARK.test(body)) {
    body = body.replace(RE_LINE_BEGIN_MARK, "");
    begin = "start";
  }
  return { body, begin, end, offset: pattern.length - body.length };
}

/** An epoch in seconds, optionally with milli- to microseconds. */
export const EPOCH_RE = "\\d{10,11}\\b(?:\\.\\d{3,6})?";
/** An epoch in seconds, milliseconds or microseconds. */
export const LONG_EPOCH_RE = "\\d{10,11}(?:\\d{3}(?:\\.\\d{1,6}|\\d{3})?)?";
const RE_EPOCH_MARK = /(?<!\\)\{L?EPOCH\}/gi;

/** True when `pattern` writes an epoch inside a larger regex (`^\[{EPOCH}\]`). */
export function hasEpochMark(pattern: string): boolean {
  RE_EPOCH_MARK.lastIndex = 0;
  return RE_EPOCH_MARK.test(pattern);
}

/**
 * An epoch template: the built-in one (`EPOCH`: at line start, after `[` at line start, or in `audit(...)`), its
 * line-begin variant, or an epoch inside a pattern (`{EPOCH}`, `{LEPOCH}`). Long epochs carry milliseconds or
 * microseconds as extra digits.
 */
export function epochTemplate(options: { lineBegin?: boolean; long?: boolean; pattern?: string }): DateTemplateSpec {
  const number = options.long ? LONG_EPOCH_RE : EPOCH_RE;
  const kind: DateKind = options.long ? "longEpoch" : "epoch";
  const baseName = options.long ? "LongEpoch" : "Epoch";
  if (options.pattern !== undefined) {
    // The whole pattern is the date (group 1), unless it has groups of its own: then its first group is the text
    // cut out, as in fail2ban 1.1 (`^type=\S+ msg=audit\(({EPOCH})` cuts the number only). The number is the named
    // group inside.
    const marked = options.pattern.replace(RE_EPOCH_MARK, () => `(?P<_epoch_>${number})`);
    const source = RE_GROUPED.test(options.pattern) ? marked : `(${marked})`;
    const bound = addBounds(source, options.pattern, true, true);
    return {
      kind,
      name: bound.name,
      pattern: options.pattern,
      regex: bound.regex,
      flags: bound.flags,
      valueGroup: "_epoch_",
    };
  }
  if (options.lineBegin) {
    const bound = addBounds(`((?P<square>(?<=^\\[))?${number})(?(square)(?=\\]))`, baseName, "start", true);
    return { kind, name: bound.name, regex: bound.regex, flags: bound.flags };
  }
  const source =
    `((?:^|(?P<square>(?<=^\\[))|(?P<selinux>(?<=\\baudit\\()))${number})` +
    "(?:(?(selinux)(?=:\\d+\\)))|(?(square)(?=\\])))";
  const bound = addBounds(source, baseName, false, true);
  return { kind, name: bound.name, regex: bound.regex, flags: bound.flags };
}

/** The TAI64N template (`@4000000037c219bf2ef02e94`, daemontools), optionally anchored at line begin. */
export function tai64nTemplate(lineBegin: boolean): DateTemplateSpec {
  const bound = addBounds("@[0-9a-f]{24}", "TAI64N", lineBegin ? "start" : false, true);
  return { kind: "tai64n", name: bound.name, regex: bound.regex, flags: bound.flags };
}

const RE_UNBOUND_BEGIN = /^\((?:\?:)?\^\|\\b\|\\W\)/;
const RE_UNBOUND_END = /\(\?=\\b\|\\W\|\$\)$/;

/** A pattern without its boundary markers, to be embedded in another pattern in place of `{DATE}`. */
export function unboundPattern(pattern: string): string {
  return pattern
    .replace(RE_UNBOUNDED, "")
    .replace(RE_LINE_BEGIN_MARK, "")
    .replace(RE_UNBOUND_BEGIN, "")
    .replace(RE_UNBOUND_END, "");
}

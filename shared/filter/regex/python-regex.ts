// Python `re` patterns run by the JavaScript engine: parse (py-parser.ts), expand conditionals
// (py-conditionals.ts), emit JavaScript source (js-emitter.ts), compile once and match.
//
// Checked against CPython 3.11 by fixtures, by every fail2ban filter.d regex on fail2ban's sample logs, and by a
// seeded fuzz test. Known differences, by design or because JavaScript cannot express them:
//  - refused (PythonRegexError): scoped type flags (?a:...)/(?u:...), a case-insensitive backreference inside a
//    scoped (?i:...), conditionals inside a repetition or on an enclosing group, \N{NAME} escapes;
//  - a group inside a repetition keeps, in Python, its value from an earlier iteration; JavaScript resets it at each
//    iteration (a backreference to it then fails instead of matching the old value);
//  - repetitions of parts that can match the empty string stop differently (`(?:a*?)*`), rarely visible;
//  - \w, \d are Node's Unicode tables (newer than Python 3.11's: a few recent characters differ); positions are
//    UTF-16 offsets.
import { EmitError, emitJs } from "./js-emitter.js";
import { requiredPrefix } from "./literal-prefix.js";
import { numberGroups } from "./numbered-groups.js";
import { expandConditionals, UnsupportedConditional } from "./py-conditionals.js";
import { parsePython } from "./py-parser.js";
import { PythonRegexError } from "./python-regex-error.js";
import { requiredLiteral } from "./required-literals.js";

export { PythonRegexError } from "./python-regex-error.js";

/** Flags as Python's re module knows them. */
export interface PyRegexOptions {
  readonly ignoreCase?: boolean;
  readonly multiline?: boolean;
  readonly dotAll?: boolean;
  /** re.VERBOSE: whitespace and `#` comments in the pattern are ignored. */
  readonly verbose?: boolean;
  /** re.ASCII: `\w \d \s \b` match ASCII only. */
  readonly ascii?: boolean;
  /** Emit provably safe character runs as possessive, against catastrophic backtracking (default true). */
  readonly autoPossessive?: boolean;
  /** Also report where each named group matched (`PyMatch.spans`); costs some speed (JavaScript's `d` flag). */
  readonly groupSpans?: boolean;
}

/** One match: positions in the searched text and the named groups (Python names; unset groups are undefined). */
export interface PyMatch {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly groups: Readonly<Record<string, string | undefined>>;
  /** With the `groupSpans` option: [start, end) of each named group that matched. */
  readonly spans?: Readonly<Record<string, readonly [number, number] | undefined>>;
}

/** True when `index` falls between the high and the low half of a surrogate pair of `text`. */
function splitsPair(text: string, index: number): boolean {
  const low = text.charCodeAt(index);
  if (low < 0xdc00 || low > 0xdfff) return false;
  const high = text.charCodeAt(index - 1);
  return high >= 0xd800 && high <= 0xdbff;
}

/**
 * A function that gives the Python groups of a match as a fresh object (a name's value is that of the first of its
 * numbered copies that matched). It is generated as a single object literal, because V8 keeps an object filled key
 * by key in its slow dictionary mode, and the filter reads and extends these objects for every failure. Names are
 * embedded as JSON string literals and numbers are integers: nothing of a pattern can become code.
 */
function groupCopier(
  numberMap: ReadonlyArray<readonly [string, readonly number[]]>,
): (m: RegExpExecArray) => Record<string, string | undefined> {
  const fields = numberMap.map(([py, numbers]) => {
    const valid = numbers.filter((n) => Number.isInteger(n) && n > 0);
    const value = valid.length === 0 ? "undefined" : valid.map((n) => `m[${n}]`).join(" ?? ");
    return `${JSON.stringify(py)}: ${value}`;
  });
  return new Function("m", `return {${fields.join(", ")}};`) as (
    m: RegExpExecArray,
  ) => Record<string, string | undefined>;
}

const MAX_CACHED = 2048;
const compiled = new Map<string, PyRegex>();

/** A compiled Python regular expression, run by the JavaScript engine. */
export class PyRegex {
  private readonly searcher: RegExp;
  /** Literal text every match starts with at position 0 (the regex is anchored), or "": a cheap rejection. */
  readonly prefix: string;
  /**
   * Literal text every match contains (see required-literals), or "": a text without it is not searched. Left empty
   * when the prefix already holds it.
   */
  readonly literal: string;
  private anchored?: RegExp;
  private full?: RegExp;
  /** The source that runs: jsSource with numbered groups (see numbered-groups). */
  private readonly runSource: string;
  /** Python group name and the group numbers that may hold its value, in Python's group order. */
  private readonly numberMap: ReadonlyArray<readonly [string, readonly number[]]>;
  /** The Python groups of a match, as a fresh object (see groupCopier). */
  private readonly copyGroups: (m: RegExpExecArray) => Record<string, string | undefined>;

  private constructor(
    /** The Python pattern as given. */
    readonly pattern: string,
    /** The emitted JavaScript source. */
    readonly jsSource: string,
    /** The JavaScript flags besides `g`/`y` (`u`, maybe `i`). */
    readonly jsFlags: string,
    /** Python's named groups, in group-number order. */
    readonly groupNames: readonly string[],
    nameMap: ReadonlyArray<readonly [string, readonly string[]]>,
  ) {
    const numbered = numberGroups(jsSource);
    this.runSource = numbered.source;
    this.numberMap = nameMap.map(([py, aliases]) => [py, aliases.map((alias) => numbered.numbers.get(alias) ?? 0)]);
    this.searcher = new RegExp(this.runSource, `g${jsFlags}`);
    this.prefix = requiredPrefix(jsSource, jsFlags);
    const literal = requiredLiteral(jsSource, jsFlags);
    this.literal = this.prefix.includes(literal) ? "" : literal;
    this.copyGroups = groupCopier(this.numberMap);
  }

  /** Compiles `pattern` (Python syntax); throws PythonRegexError with the position of what cannot be translated. */
  static compile(pattern: string, options: PyRegexOptions = {}): PyRegex {
    // Filters share regexes (common.conf prefixes, the same filter in several jails): compile each once.
    const key = `${pattern}\u0000${options.ignoreCase ? 1 : 0}${options.multiline ? 1 : 0}${options.dotAll ? 1 : 0}${
      options.verbose ? 1 : 0
    }${options.ascii ? 1 : 0}${options.autoPossessive === false ? 0 : 1}${options.groupSpans ? 1 : 0}`;
    const cached = compiled.get(key);
    if (cached) return cached;
    const regex = PyRegex.translate(pattern, options);
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, regex);
    return regex;
  }

  private static translate(pattern: string, options: PyRegexOptions): PyRegex {
    const parsed = parsePython(pattern, options);
    let emitted: ReturnType<typeof emitJs>;
    try {
      emitted = emitJs(expandConditionals(parsed.root), { possessive: options.autoPossessive ?? true });
    } catch (e) {
      if (e instanceof UnsupportedConditional || e instanceof EmitError) {
        throw new PythonRegexError(e.message, pattern, e.pos);
      }
      throw e;
    }
    const names = [...parsed.groupIndex.entries()].sort((a, b) => a[1] - b[1]);
    const nameMap = names.map(([name, index]) => [name, emitted.aliases.get(index) ?? []] as const);
    const flags = `${options.groupSpans ? "d" : ""}u${emitted.ignoreCaseFlag ? "i" : ""}`;
    try {
      return new PyRegex(
        pattern,
        emitted.source,
        flags,
        names.map(([n]) => n),
        nameMap,
      );
    } catch (e) {
      // The emitter produced something JavaScript refuses: report it as untranslatable, never crash later.
      throw new PythonRegexError(`cannot be translated to JavaScript (${(e as Error).message})`, pattern, 0);
    }
  }

  private toMatch(m: RegExpExecArray): PyMatch {
    const match = { start: m.index, end: m.index + m[0].length, text: m[0], groups: this.copyGroups(m) };
    const indices = m.indices;
    if (!indices) return match;
    const spans: Record<string, readonly [number, number] | undefined> = {};
    for (const [py, numbers] of this.numberMap) {
      let span: readonly [number, number] | undefined;
      for (const n of numbers) {
        span = indices[n];
        if (span !== undefined) break;
      }
      spans[py] = span;
    }
    return { ...match, spans };
  }

  /** Python's `re.search`: the first match at or after `pos` (lookbehinds and `^` still see the text before). */
  search(text: string, pos = 0): PyMatch | null {
    // anchored at the start of the text: no match when the text does not begin with the prefix
    if (pos === 0 && this.prefix !== "" && !text.startsWith(this.prefix)) return null;
    if (this.literal !== "" && !text.includes(this.literal, pos)) return null;
    this.searcher.lastIndex = pos;
    let m = this.searcher.exec(text);
    // V8 may report a match starting between the two halves of a surrogate pair (an empty lookahead match does);
    // Python has no such position: search on from the next code point.
    while (m && splitsPair(text, m.index)) {
      this.searcher.lastIndex = m.index + 1;
      m = this.searcher.exec(text);
    }
    return m ? this.toMatch(m) : null;
  }

  /**
   * `search(text).groups` without the match object around them: the hot path of a filter needs only the groups when
   * the searched text is one line.
   */
  searchGroups(text: string): Record<string, string | undefined> | null {
    if (this.prefix !== "" && !text.startsWith(this.prefix)) return null;
    if (this.literal !== "" && !text.includes(this.literal)) return null;
    this.searcher.lastIndex = 0;
    let m = this.searcher.exec(text);
    while (m && splitsPair(text, m.index)) {
      this.searcher.lastIndex = m.index + 1;
      m = this.searcher.exec(text);
    }
    return m ? this.copyGroups(m) : null;
  }

  /** Python's `re.match`: a match that starts exactly at `pos`. */
  match(text: string, pos = 0): PyMatch | null {
    this.anchored ??= new RegExp(this.runSource, `y${this.jsFlags}`);
    this.anchored.lastIndex = pos;
    const m = splitsPair(text, pos) ? null : this.anchored.exec(text);
    return m ? this.toMatch(m) : null;
  }

  /** Python's `re.fullmatch`: a match that starts at `pos` and ends at the end of `text`. */
  fullmatch(text: string, pos = 0): PyMatch | null {
    this.full ??= new RegExp(`(?:${this.runSource})$`, `y${this.jsFlags}`);
    this.full.lastIndex = pos;
    const m = splitsPair(text, pos) ? null : this.full.exec(text);
    return m ? this.toMatch(m) : null;
  }

  /** True when the pattern matches somewhere in `text` (no group extraction). */
  test(text: string): boolean {
    return this.search(text) !== null;
  }
}

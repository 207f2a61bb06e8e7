// fail2ban's failregex layer over the Python-regex engine: tag expansion, the failure-id check, multi-line
// buffers (lines joined with "\n"), <SKIPLINES>, ALT_/TUPLE_ group merging, and the failure id / host choice.
import { CloudjailError } from "../../errors.js";
import { expandFailRegexTags, localizeGlobalFlags, type UseDns } from "./failregex-tags.js";
import { type PyMatch, PyRegex, PythonRegexError } from "./python-regex.js";

export { expandFailRegexTags, failTagGroupName, localizeGlobalFlags, type UseDns } from "./failregex-tags.js";

/** A failregex (or prefregex/ignoreregex) is unusable; `regex` is the text as configured. */
export class FailRegexError extends CloudjailError {
  override name = "FailRegexError";
  constructor(
    message: string,
    readonly regex: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A failregex has no group that identifies the failure (`<HOST>`, `<F-ID>`, ... or `<F-MLFID>`). */
export class NoFailureIdError extends FailRegexError {
  override name = "NoFailureIdError";
}

/** Groups fail2ban uses as the failure id, in priority order. */
export const FAILURE_ID_GROUPS = ["fid", "ip4", "ip6", "dns"] as const;
/** Groups whose presence satisfies the failure-id check (adds the multi-line id). */
export const FAILURE_ID_PRESENT_GROUPS = [...FAILURE_ID_GROUPS, "mlfid"] as const;

/** Options of FailRegex.compile. */
export interface FailRegexOptions {
  /** fail2ban's `usedns`: with "no", `<HOST>` matches addresses only. Default "yes". */
  readonly useDns?: UseDns;
  /** Compile as a prefregex or ignoreregex (fail2ban's plain Regex): no failure-id group is required. */
  readonly prefRegex?: boolean;
  /** The filter's compiled prefregex: its id groups satisfy the failure-id check of this failregex. */
  readonly prefix?: FailRegex;
  /** re.MULTILINE, which fail2ban sets when `maxlines` > 1. */
  readonly multiline?: boolean;
}

/** Group values after fail2ban's merging: TUPLE_ targets become arrays, everything else a string or undefined. */
export type FailGroups = Readonly<Record<string, string | undefined | readonly (string | undefined)[]>>;

/** One failregex match. */
export interface FailMatch {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** Named groups as fail2ban's getGroups returns them (ALT_ merged, TUPLE_ combined). */
  readonly groups: FailGroups;
  /** Lines of the searched buffer (indexes) that the match covers, without those taken by <SKIPLINES>. */
  readonly matchedLines: readonly number[];
  /** The other lines of the buffer, in fail2ban's order (before the match, skipped, after the match). */
  readonly unmatchedLines: readonly number[];
  /** The failure id: F-ID (TUPLE_ combined) over ip4, ip6, dns; throws FailRegexError when there is none. */
  failId(): string;
  /** The host: ip4, ip6 or dns; throws FailRegexError when the match has none. */
  host(): string;
}

/** Python's repr of a str, for tuple failure ids such as `('user', '1.2.3.4')`. */
function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's str() of a value that may be a tuple. */
function pyStr(value: string | undefined | readonly (string | undefined)[]): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "None";
  const parts = value.map((v) => (v === undefined ? "None" : pyRepr(v)));
  return `(${parts.join(", ")}${parts.length === 1 ? "," : ""})`;
}

// Python's str.splitlines separators.
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

function countNewlines(s: string, end: number): number {
  let n = 0;
  for (let k = s.indexOf("\n"); k !== -1 && k < end; k = s.indexOf("\n", k + 1)) n++;
  return n;
}

/** The line indexes of a search in a text that is one line; shared by all such matches (they are read-only). */
const FIRST_LINE: readonly number[] = Object.freeze([0]);
const NO_LINES: readonly number[] = Object.freeze([]);

const COMPLEX_NAME = /^(alt_|tuple_)(.*?)(?:_\d+)?$/;

/** A compiled failregex. */
export class FailRegex {
  private readonly altValues: ReadonlyArray<readonly [string, string]>;
  private readonly tupleValues: ReadonlyArray<readonly [string, string]>;
  private readonly skipLineGroups: readonly string[];
  private spanned?: PyRegex;

  private constructor(
    /** The regex as configured (with tags). */
    readonly regex: string,
    /** The compiled Python regex after tag expansion. */
    readonly compiled: PyRegex,
    private readonly multiline = false,
  ) {
    const alt: Array<[string, string]> = [];
    const tuple: Array<[string, string]> = [];
    for (const name of compiled.groupNames) {
      if (name.length <= 4) continue;
      const m = COMPLEX_NAME.exec(name);
      if (!m) continue;
      const target = (m[2] as string).toLowerCase();
      const mapped = target === "id" ? "fid" : target === "port" ? "fport" : target;
      (m[1] === "alt_" ? alt : tuple).push([name, mapped]);
    }
    const byName = (a: readonly [string, string], b: readonly [string, string]) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
    this.altValues = alt.sort(byName);
    this.tupleValues = tuple.sort(byName);
    const skip: string[] = [];
    for (let n = 0; compiled.groupNames.includes(`skiplines${n}`); n++) skip.push(`skiplines${n}`);
    this.skipLineGroups = skip;
  }

  /** Literal text a match at the start of the searched text must begin with, or "" when there is none. */
  get literalPrefix(): string {
    return this.compiled.prefix;
  }

  /** Whether matches merge ALT_/TUPLE_ groups into other names: their groups then have varying keys. */
  get mergesGroups(): boolean {
    return this.altValues.length > 0 || this.tupleValues.length > 0;
  }

  /** Python group names of the compiled regex. */
  get groupNames(): readonly string[] {
    return this.compiled.groupNames;
  }

  /** True when the regex itself holds a group that can identify a failure. */
  get hasFailureIdGroup(): boolean {
    return FAILURE_ID_PRESENT_GROUPS.some((g) => this.compiled.groupNames.includes(g));
  }

  /**
   * Expands the tags of `regex` and compiles it like fail2ban's FailRegex (or its plain Regex when `prefRegex`
   * is set). Throws FailRegexError for an empty or invalid regex (`cause` holds the PythonRegexError with the
   * position in the expanded regex) and NoFailureIdError when neither it nor `prefix` has a failure-id group.
   */
  static compile(regex: string, options: FailRegexOptions = {}): FailRegex {
    let expanded = expandFailRegexTags(regex, options.useDns ?? "yes");
    if (expanded.trimStart() === "") throw new FailRegexError("Cannot add empty regex", regex);
    expanded = localizeGlobalFlags(expanded);
    let compiled: PyRegex;
    try {
      compiled = PyRegex.compile(expanded, { multiline: options.multiline ?? false });
    } catch (e) {
      if (!(e instanceof PythonRegexError)) throw e;
      throw new FailRegexError(
        `Unable to compile regular expression '${expanded}': ${e.reason} at position ${e.index}`,
        regex,
        { cause: e },
      );
    }
    const result = new FailRegex(regex, compiled, options.multiline ?? false);
    if (!options.prefRegex && !result.hasFailureIdGroup && !options.prefix?.hasFailureIdGroup) {
      throw new NoFailureIdError(`No failure-id group in '${expanded}'`, regex);
    }
    return result;
  }

  /**
   * The same regex reporting where each named group matched (PyMatch.spans), compiled on first use: host placement
   * (see shared/filter/host-placement) needs the host's position, the hot path does not.
   */
  withSpans(): PyRegex {
    this.spanned ??= PyRegex.compile(this.compiled.pattern, { multiline: this.multiline, groupSpans: true });
    return this.spanned;
  }

  /**
   * A match made of raw group values taken from elsewhere (host placement reads them from the original text at the
   * spans of a match in a masked copy), merged as getGroups does.
   */
  matchFromGroups(m: PyMatch): FailMatch {
    return this.toFailMatch(m, FIRST_LINE, null);
  }

  /** fail2ban's getGroups: the named groups, ALT_ values merged into their base name, TUPLE_ values combined. */
  private mergeGroups(m: PyMatch): FailGroups {
    if (this.altValues.length === 0 && this.tupleValues.length === 0) return m.groups;
    const out: Record<string, string | undefined | readonly (string | undefined)[]> = { ...m.groups };
    for (const [name, target] of this.altValues) {
      const value = out[name];
      if (value && !out[target]) out[target] = value;
    }
    for (const [name, target] of this.tupleValues) {
      const value = out[name] as string | undefined;
      const current = out[target];
      out[target] = Array.isArray(current) ? [...current, value] : [current as string | undefined, value];
    }
    return out;
  }

  /**
   * Searches `text` as it is. fail2ban searches its line buffer joined with "\n" plus a final "\n"
   * (searchLines does that); a regex with an explicit `\n` or `<SKIPLINES>` needs that form.
   */
  search(text: string): FailMatch | null {
    const m = this.compiled.search(text);
    return m ? this.toFailMatch(m, FIRST_LINE, null) : null;
  }

  /** `search(text)?.groups`, without the match objects when no groups are merged. */
  searchGroups(text: string): FailGroups | null {
    if (!this.mergesGroups) return this.compiled.searchGroups(text);
    return this.search(text)?.groups ?? null;
  }

  /**
   * Searches a buffer of lines the way fail2ban does: joined with "\n" plus a final "\n". The match tells which
   * lines it covers and which remain (lines taken by <SKIPLINES> count as unmatched), as indexes into `lines`.
   */
  searchLines(lines: readonly string[]): FailMatch | null {
    const buf = `${lines.join("\n")}\n`;
    const m = this.compiled.search(buf);
    if (!m) return null;
    const all = lines.map((_, k) => k);
    if (lines.length <= 1) return this.toFailMatch(m, all, []);
    const lineStart = buf.lastIndexOf("\n", m.start) + 1;
    const endFrom = m.end - 1 < 0 ? buf.length - 1 : m.end - 1;
    const nl = buf.indexOf("\n", endFrom);
    const lineEnd = nl === -1 ? buf.length : nl + 1;
    const first = countNewlines(buf, lineStart);
    const last = countNewlines(buf, lineEnd);
    const matched = all.slice(first, last);
    const unmatched = all.slice(0, first);
    let n = 0;
    for (const skipped of this.skippedLines(m)) {
      const k = matched.slice(n).findIndex((i) => lines[i] === skipped);
      if (k === -1) continue;
      unmatched.push(...matched.splice(n + k, 1));
      n += k;
    }
    unmatched.push(...all.slice(last));
    return this.toFailMatch(m, matched, unmatched);
  }

  private skippedLines(m: PyMatch): string[] {
    let text = "";
    for (const g of this.skipLineGroups) text += m.groups[g] ?? "";
    if (text === "") return [];
    const parts = text.split(LINE_BREAK);
    if (parts[parts.length - 1] === "") parts.pop();
    return parts;
  }

  private toFailMatch(m: PyMatch, matched: readonly number[], unmatched: readonly number[] | null): FailMatch {
    return new FailRegexMatch(this.regex, m, this.mergeGroups(m), matched, unmatched ?? NO_LINES);
  }
}

/** A FailMatch; the id and host are picked only when asked (a class, so that a match allocates no closures). */
class FailRegexMatch implements FailMatch {
  readonly start: number;
  readonly end: number;
  readonly text: string;

  constructor(
    private readonly regex: string,
    m: PyMatch,
    readonly groups: FailGroups,
    readonly matchedLines: readonly number[],
    readonly unmatchedLines: readonly number[],
  ) {
    this.start = m.start;
    this.end = m.end;
    this.text = m.text;
  }

  private pick(names: readonly string[], what: string): string {
    for (const name of names) {
      const value = this.groups[name];
      if (value !== undefined) return pyStr(value);
    }
    throw new FailRegexError(`No ${what} group found in '${this.text}' using '${this.regex}'`, this.regex);
  }

  failId(): string {
    return this.pick(FAILURE_ID_GROUPS, "failure-id");
  }

  host(): string {
    return this.pick(HOST_GROUPS, "host");
  }
}

const HOST_GROUPS = ["ip4", "ip6", "dns"] as const;

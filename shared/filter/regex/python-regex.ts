// PLACEHOLDER: the interface of the Python-regex engine; the translation is being written. Do not rely on the naive body.
/** A Python regular expression could not be translated; `index` is the position in `pattern`. */
export class PythonRegexError extends SyntaxError {
  override name = "PythonRegexError";
  constructor(
    message: string,
    readonly pattern: string,
    readonly index: number,
  ) {
    super(`${message} at position ${index} in ${JSON.stringify(pattern)}`);
  }
}

/** Flags as Python's re module knows them. */
export interface PyRegexOptions {
  readonly ignoreCase?: boolean;
  readonly multiline?: boolean;
  readonly dotAll?: boolean;
}

/** One match: positions in the searched text and the named groups (Python names; unset groups are undefined). */
export interface PyMatch {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly groups: Readonly<Record<string, string | undefined>>;
}

/** A compiled Python regular expression, run by the JavaScript engine. */
export class PyRegex {
  private readonly re: RegExp;
  private constructor(
    readonly pattern: string,
    readonly jsSource: string,
    flags: string,
  ) {
    this.re = new RegExp(jsSource, flags);
  }

  /** Compiles `pattern` (Python syntax); throws PythonRegexError with the position of what cannot be translated. */
  static compile(pattern: string, options: PyRegexOptions = {}): PyRegex {
    const flags = `gd${options.ignoreCase ? "i" : ""}${options.multiline ? "m" : ""}${options.dotAll ? "s" : ""}`;
    return new PyRegex(pattern, pattern.replace(/\(\?P</g, "(?<"), flags);
  }

  /** Python's `re.search`: the first match at or after `pos`. */
  search(text: string, pos = 0): PyMatch | null {
    this.re.lastIndex = pos;
    const m = this.re.exec(text);
    if (!m) return null;
    return { start: m.index, end: m.index + m[0].length, text: m[0], groups: { ...(m.groups ?? {}) } };
  }
}

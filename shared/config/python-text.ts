// Python's notion of whitespace (str.isspace / str.strip / `\s` in str patterns) differs from JavaScript's: it
// includes the separators U+001C..U+001F and U+0085 and excludes U+FEFF. fail2ban's files are read with Python's
// rules, so the reader uses this class wherever Python strips or tests for whitespace.
const PY_SPACE_CLASS = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

const LEADING = new RegExp(`^[${PY_SPACE_CLASS}]+`);
const TRAILING = new RegExp(`[${PY_SPACE_CLASS}]+$`);
const SPACE_CHAR = new RegExp(`^[${PY_SPACE_CLASS}]$`);
const NON_SPACE = new RegExp(`[^${PY_SPACE_CLASS}]`);

/** Python's `str.strip()` without arguments. */
export function pyStrip(text: string): string {
  return text.replace(LEADING, "").replace(TRAILING, "");
}

/** Python's `str.rstrip()` without arguments. */
export function pyRstrip(text: string): string {
  return text.replace(TRAILING, "");
}

/** Python's `str.isspace()` for one character. */
export function pyIsSpace(char: string | undefined): boolean {
  return char !== undefined && SPACE_CHAR.test(char);
}

/** Index of the first non-whitespace character (Python rules), or -1. */
export function pyFirstNonSpace(text: string): number {
  const match = NON_SPACE.exec(text);
  return match ? match.index : -1;
}

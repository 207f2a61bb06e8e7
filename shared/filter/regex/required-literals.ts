// A cheap rejection test for any regex: literal texts that every match must contain. Most lines of a log are tried
// against failregexes they cannot match ("Failed password" against "Accepted publickey"), and `includes` is far
// cheaper than entering the regex engine. Computed from the emitted JavaScript source; only parts that every match
// must go through count (not inside alternations, optional or zero-repeat parts, classes or lookarounds), and any
// construct not understood gives up: a literal can be missing from the list, never wrong.

/** Thrown inside the scan for a construct it does not understand: the regex then gets no literals. */
class Unsure extends Error {}

/** Index just past the group that opens at `open` (its matching `)`); classes and escapes are skipped. */
function groupEnd(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") i = classEnd(source, i) - 1;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i + 1;
  }
  throw new Unsure();
}

/** Index just past the class that opens at `open`. */
function classEnd(source: string, open: number): number {
  for (let i = open + 1; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === "]") return i + 1;
  }
  throw new Unsure();
}

/** Whether the sequence [from, to) has an alternative `|` at its own level. */
function hasAlternative(source: string, from: number, to: number): boolean {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") i = classEnd(source, i) - 1;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) return true;
  }
  return false;
}

/** Length of a group opening that only captures or groups (`(`, `(?:`, `(?<name>`), or 0 for anything else. */
function plainGroupOpening(source: string, at: number): number {
  if (source[at + 1] !== "?") return 1;
  if (source.startsWith("(?:", at)) return 3;
  if (source.startsWith("(?<", at) && source[at + 3] !== "=" && source[at + 3] !== "!") {
    const close = source.indexOf(">", at + 3);
    if (close < 0) throw new Unsure();
    return close + 1 - at;
  }
  return 0;
}

const BOUNDED = /^\{(\d+)(?:,\d*)?\}/;

/** The quantifier at `at`, if any: its width (a lazy `?` included) and the fewest repeats it allows. */
function quantifier(source: string, at: number): { width: number; min: number } {
  const c = source[at];
  let width: number;
  let min: number;
  if (c === "?" || c === "*") {
    width = 1;
    min = 0;
  } else if (c === "+") {
    width = 1;
    min = 1;
  } else if (c === "{") {
    const m = BOUNDED.exec(source.slice(at, at + 24));
    if (!m) throw new Unsure();
    width = m[0].length;
    min = Number(m[1]);
  } else {
    return { width: 0, min: 1 };
  }
  if (source[at + width] === "?") width++;
  return { width, min };
}

/** Width of the escape at `at` (a backslash) when it is no literal character: a class, assertion or reference. */
function escapeWidth(source: string, at: number): number {
  const next = source[at + 1];
  if (next === undefined) throw new Unsure();
  if ((next === "p" || next === "P") && source[at + 2] === "{") return source.indexOf("}", at) + 1 - at;
  if (next === "u") return source[at + 2] === "{" ? source.indexOf("}", at) + 1 - at : 6;
  if (next === "x") return 4;
  if (next === "c") return 3;
  if (next === "k") return source.indexOf(">", at) + 1 - at;
  if (/[0-9]/.test(next)) {
    let end = at + 1;
    while (/[0-9]/.test(source[end] ?? "")) end++;
    return end - at;
  }
  return 2;
}

/** Collects the literal runs of a sequence without alternatives at its own level. */
class LiteralScan {
  readonly literals: string[] = [];
  private run = "";

  constructor(private readonly source: string) {}

  flush(): void {
    if (this.run !== "") this.literals.push(this.run);
    this.run = "";
  }

  sequence(from: number, to: number): void {
    const source = this.source;
    let i = from;
    while (i < to) {
      const c = source[i] as string;
      if (c === "(") {
        const end = groupEnd(source, i);
        const opening = plainGroupOpening(source, i);
        const q = quantifier(source, end);
        if (opening === 0 || q.min === 0 || hasAlternative(source, i + opening, end - 1)) {
          // a lookaround, an optional group or one with alternatives: no literal of it is required
          this.flush();
        } else if (q.width === 0) {
          // a group that matches once: its text continues the run
          this.sequence(i + opening, end - 1);
        } else {
          this.flush();
          this.sequence(i + opening, end - 1);
          this.flush();
        }
        i = end + q.width;
        continue;
      }
      let literal: string | undefined;
      let width: number;
      if (c === "\\") {
        const next = source[i + 1] as string;
        if (/[0-9A-Za-z]/.test(next)) width = escapeWidth(source, i);
        else {
          literal = next;
          width = 2;
        }
      } else if (c === "[") {
        width = classEnd(source, i) - i;
      } else if (c === ")" || c === "|") {
        throw new Unsure();
      } else if ("^$.".includes(c)) {
        width = 1;
      } else {
        const code = c.charCodeAt(0);
        // a surrogate pair is one character in `u` mode: treated as no literal rather than split
        if (code < 0xd800 || code > 0xdfff) literal = c;
        width = 1;
      }
      if (width <= 0) throw new Unsure();
      const q = quantifier(source, i + width);
      if (literal === undefined || q.min === 0) {
        this.flush();
      } else {
        this.run += literal;
        if (q.width > 0) this.flush();
      }
      i += width + q.width;
    }
  }
}

/**
 * Literal texts that every match of the JavaScript regex `source` (flags `flags`) contains, in pattern order; none
 * when the regex ignores case, has alternatives at its top level, or holds a construct the scan does not know.
 */
export function requiredLiterals(source: string, flags: string): string[] {
  if (flags.includes("i")) return [];
  try {
    if (hasAlternative(source, 0, source.length)) return [];
    const scan = new LiteralScan(source);
    scan.sequence(0, source.length);
    scan.flush();
    return scan.literals;
  } catch (error) {
    if (error instanceof Unsure) return [];
    throw error;
  }
}

/** The longest of `requiredLiterals` (the first of equals), or "": the one a text is tested for. */
export function requiredLiteral(source: string, flags: string): string {
  let best = "";
  for (const literal of requiredLiterals(source, flags)) if (literal.length > best.length) best = literal;
  return best;
}

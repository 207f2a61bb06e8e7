/** A time value that fail2ban's syntax cannot read; `index` points into `text`. */
export class TimeSpanSyntaxError extends SyntaxError {
  override name = "TimeSpanSyntaxError";
  constructor(
    readonly text: string,
    readonly index: number,
    reason: string,
  ) {
    super(`invalid time "${text}" at position ${index}: ${reason}`);
  }
}

const DAY = 24 * 60 * 60;
const YEAR = ((365 * 3 + 366) * DAY) / 4;

// The unit spellings fail2ban accepts, case-insensitively. A month is a twelfth of an average year, so "m" means
// minutes and months are written "mo", "mon" or "month".
const UNITS = new Map<string, number>([
  ...spell(["s", "ss", "se", "sec", "second", "seconds"], 1),
  ...spell(["m", "mm", "mi", "min", "minute", "minutes"], 60),
  ...spell(["h", "hh", "ho", "hou", "hour", "hours"], 60 * 60),
  ...spell(["d", "dd", "da", "day", "days"], DAY),
  ...spell(["w", "ww", "we", "wee", "week", "weeks"], 7 * DAY),
  ...spell(["mo", "mon", "month", "months"], YEAR / 12),
  ...spell(["y", "yy", "ye", "yea", "year", "years"], YEAR),
]);

function spell(words: string[], seconds: number): [string, number][] {
  return words.map((word) => [word, seconds]);
}

type Token = { kind: "number"; value: number; at: number } | { kind: "op"; value: string; at: number };

/**
 * Reads a duration in fail2ban's syntax and returns seconds: a plain number (`600`, `-1` for permanent), numbers
 * with units (`10m`, `1h30m`, `1w`, `2 days`, `1year-6mo`), terms side by side being added (`1d 12h`), and `+ - * /`
 * with parentheses (`1h+30min`, `3*24h`). Throws {@link TimeSpanSyntaxError} with the position of the problem.
 */
export function parseTimeSpan(text: string): number {
  const tokens = tokenize(text);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const fail = (reason: string, at = peek()?.at ?? text.length): never => {
    throw new TimeSpanSyntaxError(text, at, reason);
  };

  // sum := product ((+|-) product | product)*   -- juxtaposed terms add up, as in "1h 30m"
  const sum = (): number => {
    let value = product();
    for (;;) {
      const next = peek();
      if (next?.kind === "op" && (next.value === "+" || next.value === "-")) {
        position++;
        value = next.value === "+" ? value + product() : value - product();
      } else if (next && (next.kind === "number" || next.value === "(")) value += product();
      else return value;
    }
  };
  const product = (): number => {
    let value = unary();
    for (;;) {
      const next = peek();
      if (next?.kind !== "op" || (next.value !== "*" && next.value !== "/")) return value;
      position++;
      const right = unary();
      if (next.value === "/" && right === 0) fail("division by zero", next.at);
      value = next.value === "*" ? value * right : value / right;
    }
  };
  const unary = (): number => {
    const next = peek();
    if (next?.kind === "op" && (next.value === "-" || next.value === "+")) {
      position++;
      const value = unary();
      return next.value === "-" ? -value : value;
    }
    return primary();
  };
  const primary = (): number => {
    const next = peek();
    if (!next) return fail("a number is missing");
    position++;
    if (next.kind === "number") return next.value;
    if (next.value === "(") {
      const value = sum();
      if (peek()?.value !== ")") fail("')' expected");
      position++;
      return value;
    }
    return fail(`unexpected '${next.value}'`, next.at);
  };

  if (tokens.length === 0) fail("empty value", 0);
  const value = sum();
  if (position < tokens.length) fail(`unexpected '${String(peek()?.value)}'`);
  if (!Number.isFinite(value)) fail("not a finite number", 0);
  return value;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s+|(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)?|([-+*/()])|(.)/giy;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const [, number, unit, op, other] = match;
    if (other !== undefined) throw new TimeSpanSyntaxError(text, match.index, `unexpected '${other}'`);
    if (op !== undefined) tokens.push({ kind: "op", value: op, at: match.index });
    else if (number !== undefined) {
      let value = Number(number);
      if (unit !== undefined) {
        const seconds = UNITS.get(unit.toLowerCase());
        if (seconds === undefined) {
          throw new TimeSpanSyntaxError(text, match.index + match[0].indexOf(unit), `unknown time unit "${unit}"`);
        }
        value *= seconds;
      }
      tokens.push({ kind: "number", value, at: match.index });
    }
    if (pattern.lastIndex >= text.length) break;
  }
  return tokens;
}

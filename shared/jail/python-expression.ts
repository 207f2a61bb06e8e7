/**
 * A small, safe evaluator for the Python arithmetic fail2ban evaluates in `bantime.formula` and `bantime.factor`
 * (`ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor`, `ban.Time * math.exp(float(ban.Count+1)*banFactor)
 * / math.exp(1*banFactor)`). Only numbers, the names the caller provides, a fixed set of math functions and Python's
 * operators exist: a configuration file can compute, never run code.
 */

/** A formula that cannot be read; `index` points into `source`. */
export class ExpressionSyntaxError extends SyntaxError {
  override name = "ExpressionSyntaxError";
  constructor(
    readonly source: string,
    readonly index: number,
    reason: string,
  ) {
    super(`invalid expression "${source}" at position ${index}: ${reason}`);
  }
}

/** Values visible to an expression, by dotted name (`ban.Time`, `banFactor`). */
export type ExpressionScope = Readonly<Record<string, number>>;

/** A compiled expression: evaluates to a number in a scope. */
export type CompiledExpression = (scope: ExpressionScope) => number;

const FUNCTIONS: Record<string, (...args: number[]) => number> = {
  float: (x = 0) => x,
  int: (x = 0) => Math.trunc(x),
  abs: (x = 0) => Math.abs(x),
  round: (x = 0, digits = 0) => Number(x.toFixed(digits)),
  min: (...xs) => Math.min(...xs),
  max: (...xs) => Math.max(...xs),
  pow: (x = 0, y = 0) => x ** y,
  "math.exp": (x = 0) => Math.exp(x),
  "math.log": (x = 0, base?: number) => (base === undefined ? Math.log(x) : Math.log(x) / Math.log(base)),
  "math.log2": (x = 0) => Math.log2(x),
  "math.log10": (x = 0) => Math.log10(x),
  "math.sqrt": (x = 0) => Math.sqrt(x),
  "math.pow": (x = 0, y = 0) => x ** y,
  "math.floor": (x = 0) => Math.floor(x),
  "math.ceil": (x = 0) => Math.ceil(x),
};
const CONSTANTS: Record<string, number> = { "math.pi": Math.PI, "math.e": Math.E, True: 1, False: 0 };

type Token = { kind: "num"; value: number; at: number } | { kind: "name" | "op"; value: string; at: number };

const BINARY: Record<string, [precedence: number, apply: (a: number, b: number) => number]> = {
  or: [2, (a, b) => (a ? a : b)],
  and: [3, (a, b) => (a ? b : a)],
  "<": [5, (a, b) => Number(a < b)],
  "<=": [5, (a, b) => Number(a <= b)],
  ">": [5, (a, b) => Number(a > b)],
  ">=": [5, (a, b) => Number(a >= b)],
  "==": [5, (a, b) => Number(a === b)],
  "!=": [5, (a, b) => Number(a !== b)],
  "|": [6, (a, b) => integer(a) | integer(b)],
  "^": [7, (a, b) => integer(a) ^ integer(b)],
  "&": [8, (a, b) => integer(a) & integer(b)],
  "<<": [9, (a, b) => integer(a) * 2 ** integer(b)],
  ">>": [9, (a, b) => Math.floor(integer(a) / 2 ** integer(b))],
  "+": [10, (a, b) => a + b],
  "-": [10, (a, b) => a - b],
  "*": [11, (a, b) => a * b],
  "/": [11, (a, b) => a / b],
  "//": [11, (a, b) => Math.floor(a / b)],
  "%": [11, (a, b) => a - b * Math.floor(a / b)],
};

function integer(value: number): number {
  if (!Number.isInteger(value)) throw new RangeError(`bit operation on a non-integer (${value})`);
  return value;
}

/**
 * Compiles `source`, allowing the dotted `names` as variables. Throws {@link ExpressionSyntaxError} for text that is
 * not an expression of that language or that uses an unknown name.
 */
export function compileExpression(source: string, names: readonly string[]): CompiledExpression {
  const tokens = tokenize(source);
  let position = 0;
  const peek = () => tokens[position];
  const fail = (reason: string, at = peek()?.at ?? source.length): never => {
    throw new ExpressionSyntaxError(source, at, reason);
  };
  const accept = (value: string): boolean => {
    const token = peek();
    if (token && token.kind !== "num" && token.value === value) {
      position++;
      return true;
    }
    return false;
  };

  // conditional := binary(or) ["if" binary(or) "else" conditional]
  const conditional = (): CompiledExpression => {
    const then = binary(2);
    if (!accept("if")) return then;
    const test = binary(2);
    if (!accept("else")) fail("'else' expected");
    const otherwise = conditional();
    return (scope) => (test(scope) ? then(scope) : otherwise(scope));
  };
  const binary = (minimum: number): CompiledExpression => {
    let left = unary(minimum);
    for (;;) {
      const token = peek();
      const entry = token && token.kind !== "num" ? BINARY[token.value] : undefined;
      if (!entry || entry[0] < minimum) return left;
      position++;
      const [precedence, apply] = entry;
      const right = binary(precedence + 1);
      const l = left;
      left = (scope) => apply(l(scope), right(scope));
    }
  };
  const unary = (minimum: number): CompiledExpression => {
    if (minimum <= 4 && accept("not")) {
      const operand = unary(4);
      return (scope) => Number(!operand(scope));
    }
    for (const op of ["-", "+", "~"]) {
      if (accept(op)) {
        const operand = unary(12);
        if (op === "-") return (scope) => -operand(scope);
        if (op === "~") return (scope) => ~integer(operand(scope));
        return operand;
      }
    }
    const base = primary();
    if (accept("**")) {
      const exponent = unary(12);
      return (scope) => base(scope) ** exponent(scope);
    }
    return base;
  };
  const primary = (): CompiledExpression => {
    const token = peek();
    if (!token) return fail("operand missing");
    position++;
    if (token.kind === "num") return () => token.value;
    if (token.kind === "op") {
      if (token.value !== "(") return fail(`unexpected '${token.value}'`, token.at);
      const inner = conditional();
      if (!accept(")")) fail("')' expected");
      return inner;
    }
    const name = token.value;
    if (accept("(")) {
      const fn = FUNCTIONS[name];
      if (!fn) return fail(`unknown function '${name}'`, token.at);
      const args: CompiledExpression[] = [];
      if (!accept(")")) {
        do args.push(conditional());
        while (accept(","));
        if (!accept(")")) fail("')' expected");
      }
      return (scope) => fn(...args.map((arg) => arg(scope)));
    }
    const constant = CONSTANTS[name];
    if (constant !== undefined) return () => constant;
    if (!names.includes(name)) return fail(`unknown name '${name}' (known: ${names.join(", ")})`, token.at);
    return (scope) => {
      const value = scope[name];
      if (value === undefined) throw new RangeError(`no value for '${name}'`);
      return value;
    };
  };

  if (tokens.length === 0) fail("empty expression", 0);
  const compiled = conditional();
  if (position < tokens.length) fail(`unexpected '${String(peek()?.value)}'`);
  return (scope) => {
    const value = compiled(scope);
    if (!Number.isFinite(value)) throw new RangeError(`expression "${source}" gave ${value}`);
    return value;
  };
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\s+|(\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)|([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)|(\*\*|\/\/|<<|>>|<=|>=|==|!=|[-+*/%<>()&|^~,])|(.)/giy;
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) {
    const [, number, name, op, other] = match;
    if (other !== undefined) throw new ExpressionSyntaxError(source, match.index, `unexpected '${other}'`);
    if (number !== undefined) tokens.push({ kind: "num", value: Number(number), at: match.index });
    else if (name !== undefined) tokens.push({ kind: "name", value: name, at: match.index });
    else if (op !== undefined) tokens.push({ kind: "op", value: op, at: match.index });
    if (pattern.lastIndex >= source.length) break;
  }
  return tokens;
}

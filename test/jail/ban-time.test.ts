import { describe, expect, it } from "vitest";
import { banTimeIncrement, nextBanTime } from "../../shared/jail/ban-time.js";
import { compileExpression, ExpressionSyntaxError } from "../../shared/jail/python-expression.js";
import { parseTimeSpan } from "../../shared/jail/time-span.js";
import { askFail2ban } from "./reference/ask-fail2ban.js";

const COUNTS = [1, 2, 3, 4, 5, 10, 19, 20, 21, 30];

const CASES: { name: string; options: Record<string, string> }[] = [
  { name: "default formula", options: {} },
  { name: "default formula, factor 2", options: { factor: "2" } },
  { name: "default formula, fractional factor", options: { factor: "0.5" } },
  { name: "multipliers", options: { multipliers: "1 2 4 8 16 32 64" } },
  { name: "multipliers with factor", options: { multipliers: "1 5 30 60 300 720 1440 2880", factor: "3" } },
  {
    name: "exponential formula with maxtime",
    options: { formula: "ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)", maxtime: "5w" },
  },
  { name: "default formula with maxtime", options: { maxtime: "1d" } },
  { name: "conditional formula", options: { formula: "ban.Time * (3 if ban.Count > 2 else 1) + ban.Count ** 2 // 3" } },
];

describe("ban time increments", () => {
  it.each(CASES)("$name: the same ban times as fail2ban's observer", ({ options }) => {
    const expected = askFail2ban<number[]>({ kind: "formula", bantime: 600, counts: COUNTS, ...options });
    const increment = banTimeIncrement({
      enabled: true,
      ...(options.factor === undefined ? {} : { factor: options.factor }),
      ...(options.formula === undefined ? {} : { formula: options.formula }),
      ...(options.multipliers === undefined ? {} : { multipliers: options.multipliers }),
      ...(options.maxtime === undefined ? {} : { maxTime: parseTimeSpan(options.maxtime) }),
    });
    const actual = COUNTS.map((count) => nextBanTime(600, count, increment, () => 0));
    expect(actual.map((value) => Number(value.toPrecision(12)))).toEqual(
      expected.map((value) => Number(value.toPrecision(12))),
    );
  });

  it("keeps the base time for a first ban, for permanent bans and when increments are off", () => {
    const on = banTimeIncrement({ enabled: true });
    expect(nextBanTime(600, 0, on, () => 0)).toBe(600);
    expect(nextBanTime(-1, 4, on, () => 0)).toBe(-1);
    expect(nextBanTime(600, 4, banTimeIncrement({ enabled: false }), () => 0)).toBe(600);
  });

  it("adds up to rndtime of random time after maxtime", () => {
    const increment = banTimeIncrement({ enabled: true, maxTime: 1000, rndTime: 100 });
    expect(nextBanTime(600, 3, increment, () => 0.5)).toBe(1050);
    expect(nextBanTime(600, 1, increment, () => 0.25)).toBe(1025);
  });

  it.each([
    ["ban.Time * __import__(1)", "unknown function '__import__'"],
    ["open('/etc/passwd')", "unexpected '''"],
    ["ban.Time * ban.Secret", "unknown name 'ban.Secret'"],
    ["ban.Time *", "operand missing"],
    ["ban.Time if ban.Count", "'else' expected"],
    ["ban.Time; 1", "unexpected ';'"],
  ])("rejects the formula %j", (formula, reason) => {
    expect(() => banTimeIncrement({ enabled: true, formula })).toThrow(ExpressionSyntaxError);
    expect(() => banTimeIncrement({ enabled: true, formula })).toThrow(reason);
  });

  it("rejects multipliers that are not whole numbers", () => {
    expect(() => banTimeIncrement({ multipliers: "1 2 x" })).toThrow('"x" is not a whole number');
  });
});

describe("compileExpression", () => {
  it.each([
    ["1 << 3", 8],
    ["2 ** 3 ** 2", 512],
    ["-2 ** 2", -4],
    ["7 // 2 + 7 % 3", 4],
    ["-7 // 2", -4],
    ["not 0 and 3 or 4", 3],
    ["max(1, 5, 3) - min(4, 2)", 3],
    ["int(3.9) + abs(-2)", 5],
    ["(1 if 2 > 3 else 9) * 2", 18],
    ["0x", Number.NaN],
  ])("%s = %d", (source, value) => {
    if (Number.isNaN(value)) {
      expect(() => compileExpression(source, [])).toThrow(ExpressionSyntaxError);
      return;
    }
    expect(compileExpression(source, [])({})).toBe(value);
  });
});

import { describe, expect, it } from "vitest";
import { parseTimeSpan, TimeSpanSyntaxError } from "../../shared/jail/time-span.js";
import { askFail2ban } from "./reference/ask-fail2ban.js";

const VALID = [
  "600",
  "-1",
  "0",
  "10m",
  "1h30m",
  "1h 30m",
  "1w",
  "2d",
  "1d12h",
  "1 day",
  "2 days",
  "3 weeks",
  "1hour+30min",
  "0d 1h 30m",
  "1year-6mo",
  "6 months",
  "1month",
  "1y",
  "5s",
  "90sec",
  "1.5h",
  "3*24h",
  "(1h+1h)*2",
  "10M",
  "1H30M",
  "1mon",
  "1min",
  "1mi",
  "4ww",
  "1d - 1h",
  "600 ",
  " 10m",
  "1h30",
];

describe("parseTimeSpan", () => {
  it("gives the seconds fail2ban's own str2seconds gives, for every syntax it accepts", () => {
    const expected = askFail2ban<(number | { error: string })[]>({ kind: "time", values: VALID });
    const actual = VALID.map((value) => parseTimeSpan(value));
    expect(actual.map((value, i) => [VALID[i], value])).toEqual(
      expected.map((value, i) => [VALID[i], typeof value === "number" ? expect.closeTo(value, 6) : value]),
    );
  });

  it.each([
    ["", 0, "empty value"],
    ["abc", 0, "unexpected 'a'"],
    ["10x", 2, 'unknown time unit "x"'],
    ["10m)", 3, "unexpected ')'"],
    ["(10m", 4, "')' expected"],
    ["10m/0", 3, "division by zero"],
    ["1h;rm", 2, "unexpected ';'"],
  ])("rejects %j with its position", (text, index, reason) => {
    const error = (() => {
      try {
        parseTimeSpan(text);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(TimeSpanSyntaxError);
    expect(error).toMatchObject({ index, message: expect.stringContaining(reason) });
  });
});

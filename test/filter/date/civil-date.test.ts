// Calendar arithmetic against the JavaScript Date implementation, day by day over five centuries.
import { describe, expect, it } from "vitest";
import { civilFromDays, daysFromCivil, isValidDate, weekdayOfDays } from "../../../shared/filter/date/civil-date.js";

describe("civil date arithmetic", () => {
  it("agrees with Date for every day from 1800 to 2300", () => {
    const wrong: number[] = [];
    for (let days = daysFromCivil(1800, 1, 1); days <= daysFromCivil(2300, 12, 31); days++) {
      const date = new Date(days * 86_400_000);
      const civil = civilFromDays(days);
      const expected = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
      if (civil.join() !== expected.join() || daysFromCivil(...civil) !== days) wrong.push(days);
      if (weekdayOfDays(days) !== (date.getUTCDay() + 6) % 7) wrong.push(days);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it.each([
    [2004, 2, 29, true],
    [2005, 2, 29, false],
    [2000, 2, 29, true],
    [1900, 2, 29, false],
    [2005, 4, 31, false],
    [2005, 12, 31, true],
    [0, 1, 1, false],
    [10000, 1, 1, false],
    [2005, 13, 1, false],
    [2005, 1, 0, false],
  ] as const)("%i-%i-%i valid: %s", (year, month, day, valid) => {
    expect(isValidDate(year, month, day)).toBe(valid);
  });
});

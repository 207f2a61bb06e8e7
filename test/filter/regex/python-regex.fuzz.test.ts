// Seeded random patterns (random-patterns.ts) through CPython's re and PyRegex: every pattern both accept must
// match every text identically; the only patterns CPython accepts and PyRegex refuses must be the documented
// limit (a case-insensitive backreference inside a scoped (?i:...) part).
import { describe, expect, it } from "vitest";
import { PyRegex, PythonRegexError } from "../../../shared/filter/regex/python-regex.js";
import { type OracleResult, pythonSearch } from "./python-oracle.js";
import { randomFlags, randomPattern, randomText, rng } from "./random-patterns.js";

const DOCUMENTED_LIMITS = [
  "a case-insensitive backreference inside a scoped (?i:...) is not supported",
  "a scoped type flag (?a:...) or (?u:...) is not supported",
];

describe("PyRegex on random patterns", () => {
  it.each([1, 2, 3])("agrees with CPython (seed %i)", (seed) => {
    const next = rng(seed);
    const items = Array.from({ length: 1500 }, () => ({
      pattern: randomPattern(next),
      flags: randomFlags(next),
      texts: Array.from({ length: 8 }, () => randomText(next)),
    }));
    const python = pythonSearch(items);
    let compared = 0;
    let refused = 0;
    items.forEach((item, k) => {
      const expected = python[k] as OracleResult;
      let re: PyRegex;
      try {
        re = PyRegex.compile(item.pattern, item.flags);
      } catch (e) {
        if (!(e instanceof PythonRegexError)) throw e;
        if ("results" in expected) {
          expect(DOCUMENTED_LIMITS, item.pattern).toContain(e.reason);
          refused++;
        }
        return;
      }
      if ("error" in expected) expect.fail(`CPython refuses ${item.pattern}: ${expected.error.message}`);
      item.texts.forEach((text, t) => {
        const m = re.search(text);
        const actual = m && {
          start: m.start,
          end: m.end,
          text: m.text,
          groups: Object.fromEntries(re.groupNames.map((n) => [n, m.groups[n] ?? null])),
        };
        expect(actual, `${item.pattern} ${JSON.stringify(item.flags)} on ${JSON.stringify(text)}`).toEqual(
          expected.results[t],
        );
        compared++;
      });
    });
    expect(refused).toBeLessThan(items.length * 0.06);
    expect(compared).toBeGreaterThan(10000);
  });
});

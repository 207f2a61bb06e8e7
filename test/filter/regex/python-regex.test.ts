// Data-driven tests of the Python-regex engine: fixtures/python-regex.json maps a pattern and texts to the match
// CPython 3.11 gives, and invalid patterns to CPython's message and position.
import { describe, expect, it } from "vitest";
import { PyRegex, PythonRegexError } from "../../../shared/filter/regex/python-regex.js";
import { loadRegexCases, loadRegexErrors, loadUnsupported } from "./fixtures.js";

describe("PyRegex.search", () => {
  for (const c of loadRegexCases()) {
    it(`${JSON.stringify(c.pattern)}${c.flags ? ` ${JSON.stringify(c.flags)}` : ""}`, () => {
      const re = PyRegex.compile(c.pattern, c.flags);
      for (const input of c.inputs) {
        const m = re.search(input.text);
        const actual = m && {
          start: m.start,
          end: m.end,
          text: m.text,
          groups: Object.fromEntries(re.groupNames.map((n) => [n, m.groups[n] ?? null])),
        };
        expect(actual, JSON.stringify(input.text)).toEqual(input.match);
      }
    });
  }
});

describe("PyRegex.compile errors", () => {
  for (const c of [...loadRegexErrors(), ...loadUnsupported()]) {
    it(JSON.stringify(c.pattern), () => {
      let error: unknown;
      try {
        PyRegex.compile(c.pattern);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PythonRegexError);
      const e = error as PythonRegexError;
      expect({ message: e.reason, index: e.index }).toEqual(c.error);
      expect(e.pattern).toBe(c.pattern);
      expect(e.message).toContain(`at position ${c.error.index}`);
    });
  }
});

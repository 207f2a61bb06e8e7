// Data-driven tests of the failregex layer: fixtures/fail-regex.json holds what fail2ban 1.0.2 itself reports
// for each regex and buffer of lines (groups after ALT_/TUPLE_ merging, failure id, host, matched and unmatched
// lines), the errors it raises, and its tag expansions.
import { describe, expect, it } from "vitest";
import {
  expandFailRegexTags,
  FailRegex,
  FailRegexError,
  localizeGlobalFlags,
  NoFailureIdError,
} from "../../../shared/filter/regex/fail-regex.js";
import { describeFailMatch } from "./fail-regex-result.js";
import { loadFailRegexFixtures } from "./fixtures.js";

const fixtures = loadFailRegexFixtures();

describe("FailRegex.searchLines", () => {
  for (const c of fixtures.cases) {
    it(`${c.regex} ${JSON.stringify(c.options)}`, () => {
      const re = FailRegex.compile(c.regex, c.options);
      for (const input of c.inputs) {
        const m = re.searchLines(input.lines);
        const actual = m && describeFailMatch(re, m, !c.options.prefRegex);
        expect(actual, JSON.stringify(input.lines)).toEqual(input.match);
        if (input.lines.length === 1) {
          // A single line searched as plain text gives the same groups.
          expect(re.search(`${input.lines[0]}\n`)?.groups ?? null).toEqual(m?.groups ?? null);
        }
      }
    });
  }
});

describe("FailRegex.compile errors", () => {
  for (const c of fixtures.errors) {
    it(JSON.stringify(c.regex), () => {
      let error: unknown;
      try {
        FailRegex.compile(c.regex, c.options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FailRegexError);
      const e = error as FailRegexError;
      expect(e.regex).toBe(c.regex);
      if (c.fail2ban.startsWith("No failure-id group")) {
        expect(e).toBeInstanceOf(NoFailureIdError);
        expect(e.message).toBe(c.fail2ban);
      } else {
        expect(e).not.toBeInstanceOf(NoFailureIdError);
        expect(e.message.startsWith(c.fail2ban.split("\n")[0] as string)).toBe(true);
      }
    });
  }

  it("accepts a failregex without id group when the prefregex has one", () => {
    const prefix = FailRegex.compile("^<HOST> (?P<content>.*)$", { prefRegex: true });
    expect(() => FailRegex.compile("^denied$")).toThrow(NoFailureIdError);
    expect(FailRegex.compile("^denied$", { prefix }).search("denied")?.text).toBe("denied");
  });
});

describe("expandFailRegexTags", () => {
  for (const c of fixtures.expansions) {
    it(`${c.regex} usedns=${c.useDns}`, () => {
      expect(localizeGlobalFlags(expandFailRegexTags(c.regex, c.useDns))).toBe(c.expanded);
    });
  }
});

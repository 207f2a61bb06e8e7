// How a template's Python source is rewritten so that a PyMatch tells where fail2ban's group 1 (the date) is.
import { describe, expect, it } from "vitest";
import { planDateGroup } from "../../../shared/filter/date/date-group.js";
import { PyRegex } from "../../../shared/filter/regex/python-regex.js";

describe("planDateGroup", () => {
  it.each([
    // [python source, rewritten source, date group, prefixed]
    ["(\\d+)", "(?P<_date_>\\d+)", "_date_", false],
    ["^x (\\d+)", "(?P<_prefix_>^x )(?P<_date_>\\d+)", "_date_", true],
    ["(?iu)^x (\\d+)", "(?P<_prefix_>^x )(?P<_date_>\\d+)", "_date_", true],
    ["^(?P<d>\\d+)/(\\d+)", "(?P<_prefix_>^)(?P<d>\\d+)/(\\d+)", "d", true],
    ["^[(]x(\\d+)", "(?P<_prefix_>^[(]x)(?P<_date_>\\d+)", "_date_", true],
    ["^\\(x(\\d+)", "(?P<_prefix_>^\\(x)(?P<_date_>\\d+)", "_date_", true],
    ["^(?:a|b)(\\d+)\\1", "(?P<_prefix_>^(?:a|b))(?P<_date_>\\d+)\\2", "_date_", true],
    ["^(?:a(\\d+)|b)", "^(?:a(?P<_date_>\\d+)|b)", "_date_", false],
    ["a|(\\d+)", "a|(?P<_date_>\\d+)", "_date_", false],
    ["x(?=y)(\\d+)(?(1)z)", "(?P<_prefix_>x(?=y))(?P<_date_>\\d+)(?(2)z)", "_date_", true],
    ["\\d+", "\\d+", undefined, false],
  ] as const)("%j", (source, rewritten, dateGroup, prefixed) => {
    const plan = planDateGroup(source);
    expect(plan).toEqual({
      source: rewritten,
      globalFlags: source.startsWith("(?iu)") ? "iu" : "",
      dateGroup,
      prefixed,
    });
  });

  it("gives the date's position through the Python-regex engine", () => {
    // Group 1 is the first capturing group, named or not: here (?P<x>...).
    const plan = planDateGroup("^\\[(?P<x>[a-z]+)\\] \\((\\d+)\\)");
    const match = PyRegex.compile(plan.source).search("[abc] (12345) tail")!;
    expect(match.start + match.groups["_prefix_"]!.length).toBe(1);
    expect(match.groups[plan.dateGroup!]).toBe("abc");
    const later = planDateGroup("\\((\\d+)\\)");
    const inner = PyRegex.compile(later.source).search("[abc] (12345) tail")!;
    expect(inner.start + inner.groups["_prefix_"]!.length).toBe(7);
    expect(inner.groups[later.dateGroup!]).toBe("12345");
  });
});

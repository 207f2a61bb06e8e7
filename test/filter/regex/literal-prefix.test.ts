// The literal-prefix rejection: what it finds on the shapes filters use, and that it is never wrong, checked on
// random patterns (a prefix that some match does not start with would silently drop failures).
import { describe, expect, it } from "vitest";
import { requiredPrefix } from "../../../shared/filter/regex/literal-prefix.js";
import { PyRegex } from "../../../shared/filter/regex/python-regex.js";
import { randomPattern, randomText, rng } from "./random-patterns.js";

describe("requiredPrefix", () => {
  it.each([
    ["^Failed (?:(?<nofail>publickey)|x)", "Failed "],
    ["^(?<nofail>Received (?<mlfforget>disconnect)) from", "Received disconnect"],
    ["^(?<x>Conn(?:ection)) (?:by|from)", "Connection"],
    ["^a\\.b\\d", "a.b"],
    ["^ab?c", "a"],
    ["^ab*", "a"],
    ["^ab{2}", "a"],
    ["^a+b", "a"],
    ["^(?:ab)+c", "ab"],
    ["^(?:ab)?c", ""],
    ["^(?:a|b)c", ""],
    ["^abc|def", ""],
    ["^(?=a)b", ""],
    ["^(?<=a)b", ""],
    ["^\\k<x>", ""],
    ["abc", ""],
    ["^[Aa]b", ""],
  ])("%s starts with %j", (source, prefix) => {
    expect(requiredPrefix(source, "u")).toBe(prefix);
  });

  it("is empty for case-insensitive regexes", () => {
    expect(requiredPrefix("^abc", "iu")).toBe("");
  });

  it("is never contradicted by a match (random patterns and texts)", () => {
    const next = rng(4242);
    let checked = 0;
    let withPrefix = 0;
    for (let n = 0; n < 800; n++) {
      const pattern = `^${randomPattern(next)}`;
      let regex: PyRegex;
      try {
        regex = PyRegex.compile(pattern);
      } catch {
        continue;
      }
      const prefix = requiredPrefix(regex.jsSource, regex.jsFlags);
      if (prefix !== "") withPrefix++;
      const plain = new RegExp(regex.jsSource, regex.jsFlags);
      for (let k = 0; k < 20; k++) {
        const text = randomText(next);
        if (plain.test(text)) {
          expect(text.startsWith(prefix), `${pattern} on ${JSON.stringify(text)}`).toBe(true);
          checked++;
        }
        // the search with its rejection agrees with the plain engine
        expect(regex.search(text) !== null, `${pattern} on ${JSON.stringify(text)}`).toBe(plain.test(text));
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(withPrefix).toBeGreaterThan(50);
  });
});

// The literal prefilter: which literals a regex requires, including the traps (a literal that some match lacks would
// silently drop failures), and that no match ever contradicts it on random patterns and texts.
import { describe, expect, it } from "vitest";
import { PyRegex } from "../../../shared/filter/regex/python-regex.js";
import { requiredLiteral, requiredLiterals } from "../../../shared/filter/regex/required-literals.js";
import { randomPattern, randomText, rng } from "./random-patterns.js";

describe("requiredLiterals (JavaScript source)", () => {
  it.each<[string, string[]]>([
    ["^Failed password for (\\S+) from", ["Failed password for ", " from"]],
    ["^(?<nofail>Received (?<mlfforget>disconnect)) from", ["Received disconnect from"]],
    ["Conn(?:ection)? (?:by|from) host", ["Conn", " ", " host"]],
    // escapes: punctuation is itself, letters are classes or assertions
    ["a\\.b\\d c\\bd\\n", ["a.b", " c", "d"]],
    ["a\\u0041b\\x41c\\p{Nd}d\\k<x>e", ["a", "b", "c", "d", "e"]],
    ["(?<x>ab)\\1cd", ["ab", "cd"]],
    // quantifiers: an optional or repeatable character breaks the run; one that may not appear is no literal
    ["ab?c", ["a", "c"]],
    ["ab*c", ["a", "c"]],
    ["ab+c", ["ab", "c"]],
    ["ab{0,3}c", ["a", "c"]],
    ["ab{2}c", ["ab", "c"]],
    ["ab{1,}?c", ["ab", "c"]],
    // groups: optional, zero-repeat or alternative groups give nothing; a repeated one gives its inside
    ["x(?:ab)?y", ["x", "y"]],
    ["x(?:ab){0,2}y", ["x", "y"]],
    ["x(?:ab)*y", ["x", "y"]],
    ["x(?:ab)+y", ["x", "ab", "y"]],
    ["x(?:a|b)y", ["x", "y"]],
    ["x(?:a(?:b|c)d)y", ["xa", "dy"]],
    // a top-level alternative: nothing is required
    ["abc|def", []],
    // classes and the dot are no literals, whatever they hold
    ["a[b]c[^d]e.f", ["a", "c", "e", "f"]],
    ["a[\\]x]b", ["a", "b"]],
    // lookarounds are skipped, positive or negative
    ["a(?=bc)d(?!ef)g(?<=h)i(?<!j)k", ["a", "d", "g", "i", "k"]],
    ["(?:(?! from )[^\\n])* from x", [" from x"]],
    // anchors only break the run
    ["^ab$", ["ab"]],
  ])("%s requires %j", (source, literals) => {
    expect(requiredLiterals(source, "u")).toEqual(literals);
  });

  it.each([
    ["abc", "iu"],
    ["abc", "i"],
  ])("%s with flags %s requires nothing (case-insensitive)", (source, flags) => {
    expect(requiredLiterals(source, flags)).toEqual([]);
  });

  it.each(["a(b", "a)b", "a[b", "a{x}b"])("%s (not understood) requires nothing", (source) => {
    expect(requiredLiterals(source, "u")).toEqual([]);
  });

  it("tests the longest literal, the first of equals", () => {
    expect(requiredLiteral("ab.cde.fgh", "u")).toBe("cde");
    expect(requiredLiteral("[a]", "u")).toBe("");
  });
});

describe("the literal of a translated Python regex", () => {
  it.each<[string, string]>([
    ["^Failed \\S+ for invalid user", " for invalid user"],
    ["(?i)^Failed password for", ""],
    ["^(?i:failed) password for x", " password for x"],
    ["^Received disconnect from", ""], // all of it is the literal prefix, tested already
    ["^Did not receive identification string from", ""],
    ["^(?:Auth|Authentication) fail(?:ure|ed) for", " fail"],
    ["user (?P<user>\\S+)(?: from)? port", "user "],
  ])("%s is prefiltered by %j", (pattern, literal) => {
    expect(PyRegex.compile(pattern).literal).toBe(literal);
  });

  it("is never contradicted by a match (random patterns and texts)", () => {
    const next = rng(5151);
    let checked = 0;
    let withLiteral = 0;
    for (let n = 0; n < 800; n++) {
      const pattern = randomPattern(next);
      let regex: PyRegex;
      try {
        regex = PyRegex.compile(pattern);
      } catch {
        continue;
      }
      const literals = requiredLiterals(regex.jsSource, regex.jsFlags);
      if (literals.length > 0) withLiteral++;
      const plain = new RegExp(regex.jsSource, `g${regex.jsFlags}`);
      for (let k = 0; k < 20; k++) {
        const text = randomText(next);
        plain.lastIndex = 0;
        const m = plain.exec(text);
        if (m) {
          for (const literal of literals) expect(m[0], `${pattern} on ${JSON.stringify(text)}`).toContain(literal);
          checked++;
        }
        // the search with its rejection agrees with the plain engine
        expect(regex.search(text) !== null, `${pattern} on ${JSON.stringify(text)}`).toBe(m !== null);
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(withLiteral).toBeGreaterThan(60);
  });
});

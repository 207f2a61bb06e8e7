// Named groups turned into numbered ones must leave every match and every group value as it was.
import { describe, expect, it } from "vitest";
import { numberGroups } from "../../../shared/filter/regex/numbered-groups.js";

describe("numberGroups", () => {
  it("numbers named and plain groups in the order of their opening parentheses", () => {
    const { source, numbers } = numberGroups("(?<a>x)(y)(?:z)(?<b>(?<c>w))");
    expect(source).toBe("(x)(y)(?:z)((w))");
    expect([...numbers]).toEqual([
      ["a", 1],
      ["b", 3],
      ["c", 4],
    ]);
  });

  it("turns named backreferences into numbered ones that a following digit cannot extend", () => {
    const { source } = numberGroups("(?<a>x)\\k<a>1");
    expect(source).toBe("(x)(?:\\1)1");
    expect(new RegExp(source, "u").test("xx1")).toBe(true);
  });

  it("leaves lookbehinds, escapes and classes alone", () => {
    const input = "(?<=a)(?<!b)\\((?<n>[(?<x>\\]]\\[)";
    const { source, numbers } = numberGroups(input);
    expect(source).toBe("(?<=a)(?<!b)\\(([(?<x>\\]]\\[)");
    expect(numbers.get("n")).toBe(1);
    expect(numberGroups("[]a(?<n>b)").source).toBe("[]a(b)");
    expect(numberGroups("[^](?<n>b)").source).toBe("[^](b)");
  });

  it.each([
    ["^(?<user>\\S+) from (?<ip>[\\d.]+)(?: port (?=(?<$a1>\\d+))\\k<$a1>)?$", "root from 192.0.2.1 port 22"],
    ["(?<a>a)|(?<b>b)\\k<b>", "bb"],
    ["(?<q>['\"])(?<v>.*?)\\k<q>", "say 'hi' \"x\""],
  ])("%s matches like the named form", (pattern, text) => {
    const named = new RegExp(pattern, "u").exec(text);
    const { source, numbers } = numberGroups(pattern);
    const plain = new RegExp(source, "u").exec(text);
    expect(plain?.[0]).toBe(named?.[0]);
    for (const [name, number] of numbers) expect(plain?.[number]).toBe(named?.groups?.[name]);
  });
});

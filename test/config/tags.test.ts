// <tag> substitution: a table of value sets with the expected result, each also resolved by fail2ban's
// substituteRecursiveTags / CommandAction.replaceTag.
import { beforeAll, describe, expect, it } from "vitest";
import { replaceTags, substituteTags, TagRecursionError } from "../../shared/config/tags.js";
import { requireFail2ban } from "../support/reference.js";
import { type ReferenceOutput, runFail2banReader } from "./reference/run-fail2ban-reader.js";

interface SubstituteCase {
  readonly title: string;
  readonly values: Record<string, string>;
  readonly conditional?: string;
  readonly ignore?: string[];
  readonly expected: Record<string, string> | { error: RegExp };
}

const substitutions: SubstituteCase[] = [
  { title: "plain reference", values: { a: "3", b: "<a>_3" }, expected: { a: "3", b: "3_3" } },
  {
    title: "embedded tag name",
    values: { mode: "normal", failregex: "^a\n<mdre-<mode>>", "mdre-normal": "^x <HOST>" },
    expected: { mode: "normal", failregex: "^a\n^x <HOST>", "mdre-normal": "^x <HOST>" },
  },
  {
    title: "chain through several values, in any order",
    values: { c: "<b>!", b: "<a>?", a: "A" },
    expected: { c: "A?!", b: "A?", a: "A" },
  },
  {
    title: "unknown tags stay",
    values: { x: "<HOST> <F-USER>x</F-USER> <STDIN>" },
    expected: { x: "<HOST> <F-USER>x</F-USER> <STDIN>" },
  },
  { title: "not a tag with spaces", values: { a: "1", v: "< a> <a > <a>" }, expected: { a: "1", v: "< a> <a > 1" } },
  { title: "direct self reference", values: { a: "x<a>" }, expected: { error: /'a' refers to itself through <a>/ } },
  { title: "indirect loop", values: { a: "<b>", b: "<a>" }, expected: { error: /refers to itself/ } },
  {
    title: "loop through a third value",
    values: { a: "x<b>", b: "<c>", c: "<b>" },
    expected: { error: /refers to itself/ },
  },
  {
    title: "conditional value wins",
    values: { blocktype: "REJECT", "blocktype?family=inet6": "REJECT6", ban: "x <blocktype>" },
    conditional: "family=inet6",
    expected: { blocktype: "REJECT", "blocktype?family=inet6": "REJECT6", ban: "x REJECT6" },
  },
  {
    title: "ignored tags are neither replaced nor resolved",
    values: { matches: "<ip>", ip: "192.0.2.1", cmd: "<matches> <ip>" },
    ignore: ["matches"],
    expected: { matches: "<ip>", ip: "192.0.2.1", cmd: "<matches> 192.0.2.1" },
  },
];

const replacements: { query: string; values: Record<string, string>; conditional?: string; expected: string }[] = [
  { query: "ban <ip><br>next<sp>word", values: { ip: "192.0.2.1" }, expected: "ban 192.0.2.1\nnext word" },
  { query: "<a> and <unknown>", values: { a: "<b>", b: "B" }, expected: "B and <unknown>" },
  { query: "<cmd>", values: { cmd: "<chain>", chain: "<known/chain>", "known/chain": "INPUT" }, expected: "INPUT" },
  {
    query: "iptables -j <blocktype>",
    values: { blocktype: "REJECT", "blocktype?family=inet6": "REJECT6" },
    conditional: "family=inet6",
    expected: "iptables -j REJECT6",
  },
  { query: "no tags at all", values: { a: "1" }, expected: "no tags at all" },
];

describe("substituteTags and replaceTags", () => {
  let reference: ReferenceOutput;
  beforeAll(() => {
    requireFail2ban();
    reference = runFail2banReader({
      tags: substitutions.map(({ values, conditional, ignore }) => ({ values, conditional, ignore })),
      replacements: replacements.map(({ query, values, conditional }) => ({ query, values, conditional })),
    });
  });

  it.each(substitutions.map((entry, index) => [entry.title, entry, index] as const))(
    "substitutes: %s",
    (_title, entry, index) => {
      const run = () =>
        Object.fromEntries(
          substituteTags(new Map(Object.entries(entry.values)), {
            ...(entry.conditional && { conditional: entry.conditional }),
            ...(entry.ignore && { ignore: entry.ignore }),
          }),
        );
      const theirs = reference.tags[index]!;
      if ("error" in entry.expected) {
        expect(run).toThrow(TagRecursionError);
        expect(run).toThrow(entry.expected.error);
        expect(theirs).toHaveProperty("error");
        return;
      }
      expect(run()).toEqual(entry.expected);
      expect(theirs).toEqual({ values: entry.expected });
    },
  );

  it.each(replacements.map((entry, index) => [entry.query, entry, index] as const))(
    "replaces in %j",
    (_title, entry, index) => {
      const value = replaceTags(entry.query, new Map(Object.entries(entry.values)), {
        ...(entry.conditional && { conditional: entry.conditional }),
      });
      expect(value).toBe(entry.expected);
      expect(reference.replacements[index]).toEqual({ value: entry.expected });
    },
  );

  it("stops a definition that doubles itself before it exhausts memory", () => {
    const values = new Map([
      ["a", "x<b>"],
      ["b", "<c><c>"],
      ["c", "<d><d>"],
      ["d", "<b><b>"],
    ]);
    expect(() => substituteTags(values)).toThrow(/refers to itself|grows past 1000000 characters/);
  });

  it("does not modify its input", () => {
    const values = new Map([
      ["a", "1"],
      ["b", "<a>"],
    ]);
    substituteTags(values);
    expect(values.get("b")).toBe("<a>");
  });

  it("escapes only the tags it is told carry log text, and never resolves tags inside them", () => {
    const values = new Map([
      ["matches", "user <ip>; rm -rf /"],
      ["ip", "192.0.2.1"],
    ]);
    const quoted = replaceTags("echo <matches> from <ip>", values, {
      escapedTags: new Set(["matches"]),
      escape: (text) => `'${text.replaceAll("'", "'\\''")}'`,
    });
    expect(quoted).toBe("echo 'user <ip>; rm -rf /' from 192.0.2.1");
  });
});

describe("replaceTags with per-ban values", () => {
  it("makes one pass only when not recursive, leaving tags inside values alone", () => {
    const values = new Map([
      ["F-USER", "<ip>"],
      ["ip", "192.0.2.1"],
    ]);
    expect(replaceTags("user <F-USER> at <ip>", values, { recursive: false })).toBe("user <ip> at 192.0.2.1");
    expect(replaceTags("user <F-USER> at <ip>", values)).toBe("user 192.0.2.1 at 192.0.2.1");
  });
});

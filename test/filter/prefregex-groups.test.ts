// How a failregex's groups merge with the prefregex's (fail2ban 1.1.1): a group the failregex leaves unset (an
// optional `<ADDR>` or `<F-USER>` that did not take part) keeps the prefregex's value; a set one wins. A match that
// ends up with no address and no failure id counts nothing and is reported (`unidentified`), and the filter goes on
// with the next failregex and the next lines, as fail2ban does (it logs an error), instead of stopping.
import { describe, expect, it } from "vitest";
import { type FilterSpec, LogFilter } from "../../shared/filter/log-filter.js";

/** upstream's own case (fail2ban-regex test testFrmtOutputAddrInHeadOrBody): the address in the head or the body. */
const HEAD_OR_BODY: FilterSpec = {
  prefregex: String.raw`^(?:head:\s*\{\s*ip: <ADDR>\s*\},\s*)?<F-CONTENT>.+</F-CONTENT>$`,
  failregex: ["^auth failed(?: from <ADDR>)?"],
  datepattern: "{NONE}",
  source: "head-or-body.conf",
};

/** The same, with a user in the head and an optional one in the body; ALT_ groups take the merging path by hit. */
const USER_IN_HEAD: FilterSpec = {
  prefregex: String.raw`^(?:head: \{ ip: <ADDR>, user: <F-USER>\S+</F-USER> \}, )?<F-CONTENT>.+</F-CONTENT>$`,
  failregex: [
    String.raw`^auth failed(?: for <F-USER>\S+</F-USER>)?(?: from <ADDR>)?$`,
    String.raw`^login refused(?: for <F-ALT_USER>\S+</F-ALT_USER>)?(?: from <ADDR>)?$`,
  ],
  datepattern: "{NONE}",
  source: "user-in-head.conf",
};

/** Two failregexes: the first may match without an address, the second knows the failure by its id. */
const FALL_THROUGH: FilterSpec = {
  failregex: ["^auth failed(?: from <ADDR>)?", String.raw`^auth failed for <F-ID>\S+</F-ID>$`],
  datepattern: "{NONE}",
  source: "fall-through.conf",
};

interface Case {
  readonly line: string;
  /** [failure id, user] of each failure reported. */
  readonly failures: ReadonlyArray<readonly [string, string | undefined]>;
  /** The failregexes (0-based) that matched without an address or id. */
  readonly unidentified?: readonly number[];
}

const cases: ReadonlyArray<readonly [string, FilterSpec, Case]> = [
  [
    "address in the head",
    HEAD_OR_BODY,
    { line: "head: { ip: 192.0.2.1 }, auth failed", failures: [["192.0.2.1", undefined]] },
  ],
  ["address in the body", HEAD_OR_BODY, { line: "auth failed from 192.0.2.2", failures: [["192.0.2.2", undefined]] }],
  [
    "both: the failregex's wins",
    HEAD_OR_BODY,
    { line: "head: { ip: 192.0.2.1 }, auth failed from 192.0.2.2", failures: [["192.0.2.2", undefined]] },
  ],
  ["neither", HEAD_OR_BODY, { line: "auth failed", failures: [], unidentified: [0] }],
  [
    "user from the head when the body has none",
    USER_IN_HEAD,
    { line: "head: { ip: 192.0.2.3, user: alice }, auth failed", failures: [["192.0.2.3", "alice"]] },
  ],
  [
    "user from the body when it has one",
    USER_IN_HEAD,
    { line: "head: { ip: 192.0.2.3, user: alice }, auth failed for bob", failures: [["192.0.2.3", "bob"]] },
  ],
  [
    "address from the head through ALT_ merging",
    USER_IN_HEAD,
    { line: "head: { ip: 192.0.2.4, user: carol }, login refused", failures: [["192.0.2.4", "carol"]] },
  ],
  [
    "ALT_ user from the body, address from the head",
    USER_IN_HEAD,
    { line: "head: { ip: 192.0.2.4, user: carol }, login refused for dave", failures: [["192.0.2.4", "dave"]] },
  ],
  [
    "no address anywhere (ALT_ path)",
    USER_IN_HEAD,
    { line: "login refused for erin", failures: [], unidentified: [1] },
  ],
  [
    // as in fail2ban, the match took the line out of the buffer before its id was looked for
    "the next failregex sees the line only when every failregex is checked",
    FALL_THROUGH,
    { line: "auth failed for frank", failures: [], unidentified: [0] },
  ],
];

describe("prefregex and failregex groups", () => {
  it.each(cases)("%s", (_name, spec, expected) => {
    const filter = new LogFilter(spec, { useDns: "raw" });
    const result = filter.processLine(expected.line, { now: 1_700_000_000 });
    const found = result.failures.map((failure) => [failure.id, failure.fields.user] as const);
    expect(found).toEqual(expected.failures);
    expect(result.unidentified).toEqual(expected.unidentified);
  });

  it("checking every failregex (fail2ban-regex's summary), the next failregex still finds the line", () => {
    const filter = new LogFilter(FALL_THROUGH, { useDns: "raw", checkAllRegex: true });
    const result = filter.processLine("auth failed for frank", { now: 1_700_000_000 });
    expect(result.failures.map((failure) => [failure.regexIndex, failure.id])).toEqual([[1, "frank"]]);
    expect(result.unidentified).toEqual([0]);
  });

  it("goes on after a line it cannot attribute: the lines after it are counted", () => {
    const filter = new LogFilter(HEAD_OR_BODY, { useDns: "raw" });
    const lines = ["auth failed", "auth failed from 192.0.2.5", "auth failed", "head: { ip: 192.0.2.6 }, auth failed"];
    const results = lines.map((line) => filter.processLine(line, { now: 1_700_000_000 }));
    expect(results.map((r) => r.failures.map((f) => f.id))).toEqual([[], ["192.0.2.5"], [], ["192.0.2.6"]]);
    expect(results.map((r) => r.unidentified)).toEqual([[0], undefined, [0], undefined]);
  });
});

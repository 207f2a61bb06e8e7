// Differential test of the failregex layer against the reference fail2ban: every failregex, prefregex and
// ignoreregex of filter.d (as fail2ban's FilterReader interpolates them, tags left in) is expanded by both and run
// by both on the filter's sample log; expansions, groups, failure ids, hosts and line bookkeeping must agree.
import { beforeAll, describe, expect, it } from "vitest";
import {
  expandFailRegexTags,
  FailRegex,
  FailRegexError,
  localizeGlobalFlags,
} from "../../../shared/filter/regex/fail-regex.js";
import { fail2banConfig, requireFail2ban } from "../../support/reference.js";
import { describeFailMatch } from "./fail-regex-result.js";
import type { FailMatchExpectation } from "./fixtures.js";
import { askPython } from "./python-oracle.js";
import { logLines } from "./sample-logs.js";

interface FilterRegex {
  readonly filter: string;
  readonly opt: "prefregex" | "failregex" | "ignoreregex";
  readonly regex: string;
  readonly maxlines: string | null;
}

type MatchAnswer = { error: string } | { results: Array<FailMatchExpectation | null> };

describe("FailRegex against fail2ban", () => {
  let regexes: FilterRegex[] = [];
  beforeAll(() => {
    requireFail2ban();
    regexes = askPython<FilterRegex[]>({
      kind: "f2b-filters",
      config: fail2banConfig,
      init: [{}, { mode: "aggressive" }, { mode: "ddos" }, { mode: "extra" }, { logtype: "rfc5424" }],
    });
  });

  it("expands the tags of every filter regex like fail2ban, with and without DNS", () => {
    const items = regexes.flatMap((r) => (["yes", "no"] as const).map((useDns) => ({ regex: r.regex, useDns })));
    const python = askPython<Array<{ expanded: string }>>({ kind: "f2b-expand", items });
    items.forEach((item, k) => {
      expect(localizeGlobalFlags(expandFailRegexTags(item.regex, item.useDns)), item.regex).toBe(python[k]?.expanded);
    });
    expect(items.length).toBeGreaterThan(500);
  });

  it("matches the sample logs with the same groups, failure ids and hosts", () => {
    const prefixOf = new Map(regexes.filter((r) => r.opt === "prefregex").map((r) => [r.filter, r.regex]));
    // The failregexes of a filter with a prefregex see the prefregex's `content` group: ask fail2ban for those.
    const prefFilters = [...prefixOf.keys()];
    const prefAnswers = askPython<MatchAnswer[]>({
      kind: "f2b-match",
      items: prefFilters.map((f) => ({
        regex: prefixOf.get(f),
        prefRegex: true,
        buffers: logLines(f).map((l) => [l]),
      })),
    });
    const contentOf = new Map<string, string[]>();
    prefFilters.forEach((f, k) => {
      const answer = prefAnswers[k];
      if (!answer || "error" in answer) return;
      const contents = answer.results.flatMap((m) => (typeof m?.groups.content === "string" ? [m.groups.content] : []));
      contentOf.set(f, contents);
    });
    const items = regexes.map((r) => ({
      regex: r.regex,
      useDns: "yes",
      multiline: Number(r.maxlines ?? 1) > 1,
      prefRegex: r.opt !== "failregex",
      prefix: r.opt === "failregex" ? prefixOf.get(r.filter) : undefined,
      buffers: [...logLines(r.filter), ...(r.opt === "failregex" ? (contentOf.get(r.filter) ?? []) : [])].map(
        (line) => [line],
      ),
    }));
    const python = askPython<MatchAnswer[]>({ kind: "f2b-match", items });
    let matched = 0;
    items.forEach((item, k) => {
      const expected = python[k] as MatchAnswer;
      const where = `${regexes[k]?.filter} ${regexes[k]?.opt}: ${item.regex}`;
      const prefixRegex = item.prefix;
      let re: FailRegex;
      try {
        const prefix = prefixRegex ? FailRegex.compile(prefixRegex, { prefRegex: true }) : undefined;
        re = FailRegex.compile(item.regex, { multiline: item.multiline, prefRegex: item.prefRegex, prefix });
      } catch (e) {
        if (!(e instanceof FailRegexError)) throw e;
        expect("error" in expected, `${where}: ${e.message}`).toBe(true);
        return;
      }
      if ("error" in expected) expect.fail(`${where}: fail2ban refuses it: ${expected.error}`);
      item.buffers.forEach((lines, b) => {
        const m = re.searchLines(lines);
        const actual = m && describeFailMatch(re, m, !item.prefRegex);
        expect(actual, `${where}\n  on ${JSON.stringify(lines)}`).toEqual(expected.results[b]);
        if (actual) matched++;
      });
    });
    expect(matched).toBeGreaterThan(1000);
  });
});

// Differential test: the same patterns and texts through CPython's re and through PyRegex must give the same
// matches, positions and named groups. Patterns come from the fixtures and from every failregex, prefregex and
// ignoreregex of the reference fail2ban filter.d (expanded by fail2ban itself at test time), texts from
// fail2ban's sample logs.
import { beforeAll, describe, expect, it } from "vitest";
import { PyRegex, PythonRegexError } from "../../../shared/filter/regex/python-regex.js";
import { fail2banConfig, requireFail2ban } from "../../support/reference.js";
import { loadRegexCases } from "./fixtures.js";
import { askPython, type OracleMatch, type OracleResult, pythonSearch } from "./python-oracle.js";
import { logLines, sampleLogs } from "./sample-logs.js";

interface FilterRegex {
  readonly filter: string;
  readonly opt: "prefregex" | "failregex" | "ignoreregex";
  readonly regex: string;
  readonly maxlines: string | null;
}

function jsResults(
  pattern: string,
  flags: object,
  texts: readonly string[],
  mode: { anchored?: boolean; full?: boolean; spans?: boolean } = {},
): OracleResult {
  let re: PyRegex;
  try {
    re = PyRegex.compile(pattern, { ...flags, groupSpans: mode.spans ?? false });
  } catch (e) {
    if (e instanceof PythonRegexError) return { error: { message: e.reason, index: e.index } };
    throw e;
  }
  return {
    results: texts.map((t) => {
      const m = mode.full ? re.fullmatch(t) : mode.anchored ? re.match(t) : re.search(t);
      if (!m) return null;
      const groups: Record<string, string | null> = {};
      for (const name of re.groupNames) groups[name] = m.groups[name] ?? null;
      const result: OracleMatch = { start: m.start, end: m.end, text: m.text, groups };
      if (!mode.spans) return result;
      const spans: Record<string, [number, number] | null> = {};
      for (const name of re.groupNames) {
        const span = m.spans?.[name];
        spans[name] = span ? [span[0], span[1]] : null;
      }
      return { ...result, spans };
    }),
  };
}

describe("PyRegex against CPython re", () => {
  it.each([
    ["search", {}],
    ["match", { anchored: true }],
    ["fullmatch", { full: true }],
    ["search with group spans", { spans: true }],
  ])(
    "agrees on every fixture pattern and text (%s)",
    (_, mode: { anchored?: boolean; full?: boolean; spans?: boolean }) => {
      const cases = loadRegexCases();
      const items = cases.map((c) => ({
        pattern: c.pattern,
        flags: c.flags ?? {},
        texts: c.inputs.flatMap((i) => [i.text, `-${i.text}`]),
        ...mode,
      }));
      const python = pythonSearch(items);
      items.forEach((item, k) => {
        const expected = python[k] as OracleResult;
        const actual = jsResults(item.pattern, item.flags, item.texts, mode);
        if ("error" in expected) {
          expect(actual, item.pattern).toHaveProperty("error");
        } else {
          expect(actual, item.pattern).toEqual(expected);
        }
      });
    },
  );

  describe("fail2ban filter.d regexes on the sample logs", () => {
    let regexes: FilterRegex[] = [];
    let expanded: Array<{ expanded?: string; error?: string }> = [];
    beforeAll(() => {
      requireFail2ban();
      regexes = askPython<FilterRegex[]>({
        kind: "f2b-filters",
        config: fail2banConfig,
        init: [
          {},
          { mode: "aggressive" },
          { mode: "ddos" },
          { mode: "extra" },
          { logtype: "rfc5424" },
          { logtype: "journal" },
        ],
      });
      expanded = askPython({ kind: "f2b-expand", items: regexes.map((r) => ({ regex: r.regex })) });
    });

    it("extracts the filters", () => {
      expect(regexes.length).toBeGreaterThan(250);
      expect(expanded.every((e) => e.expanded !== undefined)).toBe(true);
    });

    it("matches like CPython, line by line and on the prefregex content", () => {
      const allLines = [...sampleLogs().values()].flat();
      // Pass 1: the prefregexes, whose `content` group is what the failregexes of their filter see.
      const contentOf = new Map<string, string[]>();
      const prefItems = regexes
        .map((r, k) => ({ r, pattern: expanded[k]?.expanded as string }))
        .filter(({ r }) => r.opt === "prefregex");
      const prefResults = pythonSearch(prefItems.map(({ r, pattern }) => ({ pattern, texts: logLines(r.filter) })));
      prefItems.forEach(({ r }, k) => {
        const res = prefResults[k] as OracleResult;
        if ("error" in res) return;
        const contents = res.results.flatMap((m) => (m?.groups.content ? [m.groups.content] : []));
        contentOf.set(r.filter, [...(contentOf.get(r.filter) ?? []), ...contents]);
      });
      // Pass 2: every regex on its own filter's log, the contents, and a sample of every other log line.
      const others = allLines.filter((_, k) => k % 7 === 0);
      const items = regexes.map((r, k) => ({
        pattern: expanded[k]?.expanded as string,
        flags: { multiline: Number(r.maxlines ?? 1) > 1 },
        texts: [...new Set([...logLines(r.filter), ...(contentOf.get(r.filter) ?? []), ...others])],
      }));
      const python = pythonSearch(items);
      let compared = 0;
      let matched = 0;
      items.forEach((item, k) => {
        const expected = python[k] as OracleResult;
        const actual = jsResults(item.pattern, item.flags, item.texts);
        const where = `${regexes[k]?.filter} ${regexes[k]?.opt}: ${item.pattern}`;
        if ("error" in expected) {
          expect(actual, where).toHaveProperty("error");
          return;
        }
        if ("error" in actual) expect.fail(`${where}: ${actual.error.message}`);
        item.texts.forEach((text, t) => {
          expect(actual.results[t], `${where}\n  on ${JSON.stringify(text)}`).toEqual(expected.results[t]);
          compared++;
          if (expected.results[t]) matched++;
        });
      });
      expect(compared).toBeGreaterThan(10000);
      expect(matched).toBeGreaterThan(1000);
    });
  });
});

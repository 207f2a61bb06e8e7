// Every filter of fail2ban's own filter.d, resolved by our reader and by fail2ban's FilterReader, must give identical
// regexes and settings: with no arguments (file and journal backends) and with every argument combination that
// fail2ban's sample logs test (`# filterOptions:` lines).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type FilterDefinition, loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { fail2banConfig, fail2banSampleLogs, requireFail2ban } from "../support/reference.js";
import { type FilterCase, type ReferenceFilter, runFail2banReader } from "./reference/run-fail2ban-reader.js";

const OPTION_LINE = /^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$/;

/** The argument sets fail2ban's sample test uses for a filter (its `test.*` keys dropped). */
function sampleOptionSets(filter: string): Record<string, string>[] {
  let text: string;
  try {
    text = readFileSync(join(fail2banSampleLogs, filter), "utf8");
  } catch {
    return [];
  }
  const sets: Record<string, string>[] = [];
  let common: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = OPTION_LINE.exec(line);
    if (!match || match[1] === "failJSON" || match[1] === "addFILE") continue;
    const data = JSON.parse(match[2]!) as Record<string, string> | Record<string, string>[];
    if (match[1] === "fileOptions") {
      common = data as Record<string, string>;
      continue;
    }
    for (const entry of Array.isArray(data) ? data : [data]) {
      const merged = { ...common, ...entry };
      sets.push(Object.fromEntries(Object.entries(merged).filter(([key]) => !key.startsWith("test."))));
    }
  }
  return sets;
}

/** A filter by name with its arguments, resolved by both readers. */
interface NamedFilterCase extends FilterCase {
  readonly name: string;
  readonly options: Record<string, string>;
}

function buildCases(): NamedFilterCase[] {
  const names = readdirSync(join(fail2banConfig, "filter.d"))
    .filter((file) => file.endsWith(".conf"))
    .map((file) => file.slice(0, -".conf".length))
    .sort();
  const cases: NamedFilterCase[] = [];
  const seen = new Set<string>();
  const add = (entry: NamedFilterCase) => {
    const key = JSON.stringify(entry);
    if (!seen.has(key)) cases.push(entry);
    seen.add(key);
  };
  for (const name of names) {
    add({ name, options: {} });
    add({ name, options: {}, backend: "systemd" });
    for (const options of sampleOptionSets(name)) add({ name, options });
  }
  return cases;
}

function comparable(definition: FilterDefinition): ReferenceFilter {
  return {
    failregex: definition.failregex.map((entry) => entry.pattern),
    ignoreregex: definition.ignoreregex.map((entry) => entry.pattern),
    ...(definition.prefregex !== undefined && { prefregex: definition.prefregex }),
    ...(definition.datepattern !== undefined && { datepattern: definition.datepattern }),
    ...(definition.maxlines !== undefined && { maxlines: definition.maxlines }),
    ...(definition.journalmatch !== undefined && { journalmatch: [...definition.journalmatch] }),
    ...(definition.usedns !== undefined && { usedns: definition.usedns }),
    ...(definition.logtype !== undefined && { logtype: definition.logtype }),
  };
}

describe("fail2ban's filter.d resolved like fail2ban's FilterReader", () => {
  const cases = (() => {
    requireFail2ban();
    return buildCases();
  })();
  let reference: ReferenceFilter[] = [];

  beforeAll(() => {
    reference = runFail2banReader({ configDir: fail2banConfig, filters: cases }).filters;
  });

  it("covers every filter and the sample logs' option sets", () => {
    const filters = new Set(cases.map((entry) => entry.name));
    expect(filters.size).toBe(readdirSync(join(fail2banConfig, "filter.d")).filter((f) => f.endsWith(".conf")).length);
    expect(cases.filter((entry) => Object.keys(entry.options).length > 0).length).toBeGreaterThanOrEqual(25);
    expect(reference).toHaveLength(cases.length);
  });

  it.each(cases.map((entry, index) => [`${entry.name}${JSON.stringify(entry.options)} ${entry.backend ?? ""}`, index]))(
    "%s",
    (_title, index) => {
      const entry = cases[index as number]!;
      const expected = reference[index as number]!;
      const load = () =>
        loadFilterDefinition(
          fail2banConfig,
          { name: entry.name, options: entry.options },
          {},
          {
            backend: entry.backend ?? "auto",
          },
        );
      if (expected.error !== undefined) {
        expect(load).toThrow();
        return;
      }
      if (expected.noDefinition) {
        // An include fragment, not a filter: fail2ban silently resolves no regex; we refuse it clearly.
        expect(expected.failregex).toEqual([]);
        expect(load).toThrow(/no \[Definition\] section/);
        return;
      }
      const definition = load();
      const { options: expectedOptions, ...expectedValues } = expected;
      expect(comparable(definition)).toEqual(expectedValues);
      for (const [name, value] of Object.entries(expectedOptions ?? {})) {
        expect(definition.options[name], `option ${name}`).toBe(String(value));
      }
      expect(definition.failregex.every((entry) => entry.file !== undefined && entry.line !== undefined)).toBe(true);
    },
  );
});

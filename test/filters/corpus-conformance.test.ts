// The bundled filters against fail2ban's sample corpus: for every service the corpus covers (a sample file named
// like one of our filters), each annotated line must get the verdict the corpus expects (match or not, host, time)
// when run through our filter. Run by cloudjail's engine and, as a differential check of the filters themselves, by
// the reference fail2ban.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fail2banSampleLogs, requireFail2ban } from "../support/reference.js";
import type { SampleVerdict } from "../support/sample-conformance.js";
import { bundledConfig, bundledFilterNames } from "./bundled-filters.js";
import { ENGINES } from "./engines.js";

requireFail2ban();

const ours = new Set(bundledFilterNames());
/** Corpus files for services we ship a filter for. */
const covered = readdirSync(fail2banSampleLogs).filter(
  (name) => statSync(join(fail2banSampleLogs, name)).isFile() && ours.has(name),
);

function agreement(results: readonly SampleVerdict[]): number {
  return results.length === 0 ? 0 : results.filter((v) => v.ok).length / results.length;
}

describe.each(ENGINES)("fail2ban's sample corpus against the bundled filters (%s)", (engine, runSample) => {
  const verdicts = new Map<string, SampleVerdict[]>();
  beforeAll(() => {
    for (const name of covered) verdicts.set(name, runSample(bundledConfig, fail2banSampleLogs, name).verdicts);
  }, 120_000);

  it("covers at least 25 of our services", () => {
    expect(existsSync(fail2banSampleLogs)).toBe(true);
    expect(covered.length).toBeGreaterThanOrEqual(25);
  });

  it.each(covered)("%s: at least 99%% of line checks agree", (name) => {
    const results = verdicts.get(name) ?? [];
    expect(results.length).toBeGreaterThan(0);
    const failed = results.filter((v) => !v.ok).map((v) => `${v.file}:${v.lineNumber} [${v.combination}] ${v.reason}`);
    expect(agreement(results), failed.join("\n")).toBeGreaterThanOrEqual(0.99);
  });

  it("agrees on at least 99% overall", () => {
    const all = [...verdicts.values()].flat();
    process.stderr.write(
      `bundled filters vs corpus (${engine}): ${all.filter((v) => v.ok).length}/${all.length} line checks agree\n`,
    );
    expect(agreement(all)).toBeGreaterThanOrEqual(0.99);
  });
});

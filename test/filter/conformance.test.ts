// Conformance with fail2ban: every sample log of the reference package's test corpus, against the reference's own
// filter.d, through our engine. Every annotated line must agree on match, host and time; every plain line must not
// match. The reference package is downloaded at test time by scripts/prepare-test-env.mjs.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fail2banConfig, fail2banSampleLogs, requireFail2ban } from "../support/reference.js";
import { runSampleFile, type SampleVerdict, sampleFilter } from "../support/sample-conformance.js";

requireFail2ban();

const samples = readdirSync(fail2banSampleLogs).filter(
  (name) =>
    statSync(join(fail2banSampleLogs, name)).isFile() &&
    existsSync(join(fail2banConfig, "filter.d", `${name}.conf`)) &&
    name !== "common",
);

const makeFilter = (name: string, options: Record<string, string>) => sampleFilter(fail2banConfig, name, options);

const verdicts = new Map<string, SampleVerdict[]>();

describe("fail2ban sample corpus against fail2ban's filters", () => {
  beforeAll(() => {
    for (const name of samples) verdicts.set(name, runSampleFile(fail2banSampleLogs, name, makeFilter));
  });

  it("covers the corpus", () => {
    expect(samples.length).toBeGreaterThan(80);
  });

  it.each(samples)("%s: every line agrees", (name) => {
    const results = verdicts.get(name) ?? [];
    expect(results.length).toBeGreaterThan(0);
    const failed = results
      .filter((v) => !v.ok)
      .map((v) => `${v.file}:${v.lineNumber} [${v.combination}] ${v.reason}\n    ${v.line}`);
    expect(failed).toEqual([]);
  });

  it("agrees on 100% of lines overall", () => {
    const all = [...verdicts.values()].flat();
    const agreed = all.filter((v) => v.ok).length;
    const matches = all.filter((v) => v.expected.match === true).length;
    const journal = all.filter((v) => v.journal).length;
    process.stderr.write(
      `conformance: ${agreed}/${all.length} line checks agree (${samples.length} sample files, ${matches} expected matches, ${journal} journal-block checks)\n`,
    );
    expect(matches).toBeGreaterThan(1000);
    expect(agreed).toBe(all.length);
  });
});

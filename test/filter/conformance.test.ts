// Conformance with fail2ban: every sample log of a reference package's test corpus, against that package's own
// filter.d, through our engine; for fail2ban 1.0.2 (Debian 12) and fail2ban 1.1 (Debian 13). Every annotated line must
// agree on match, host (as written: the corpus runs with raw hosts) and time; every plain line must not match. The
// reference packages are downloaded at test time by scripts/prepare-test-env.mjs.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fail2ban11, fail2ban102, type ReferenceFail2ban, requireReference } from "../support/reference.js";
import { runSampleFile, type SampleVerdict, sampleFilter } from "../support/sample-conformance.js";

for (const reference of [fail2ban102, fail2ban11]) requireReference(reference);

/**
 * A fail2ban source checkout named by CLOUDJAIL_FAIL2BAN_TREE (upstream's current tree, say), checked too: its
 * config/ and fail2ban/tests/files/logs. Nothing is downloaded for it; unset, only the two packages are checked.
 */
const tree = process.env.CLOUDJAIL_FAIL2BAN_TREE;
const sourceTree: ReferenceFail2ban[] = tree
  ? [
      {
        label: `fail2ban tree ${tree}`,
        root: tree,
        config: join(tree, "config"),
        python: join(tree, "fail2ban"),
        sampleLogs: join(tree, "fail2ban", "tests", "files", "logs"),
      },
    ]
  : [];
for (const reference of sourceTree) requireReference(reference);

/** The corpus files that have a filter of the same name in the reference's filter.d. */
function samplesOf(reference: ReferenceFail2ban): string[] {
  return readdirSync(reference.sampleLogs).filter(
    (name) =>
      statSync(join(reference.sampleLogs, name)).isFile() &&
      existsSync(join(reference.config, "filter.d", `${name}.conf`)) &&
      name !== "common",
  );
}

describe.each([fail2ban102, fail2ban11, ...sourceTree])("$label sample corpus against its own filters", (reference) => {
  const samples = samplesOf(reference);
  const verdicts = new Map<string, SampleVerdict[]>();
  const makeFilter = (name: string, options: Record<string, string>) => sampleFilter(reference.config, name, options);

  beforeAll(() => {
    for (const name of samples) verdicts.set(name, runSampleFile(reference.sampleLogs, name, makeFilter));
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
      `conformance (${reference.label}): ${agreed}/${all.length} line checks agree (${samples.length} sample files, ${matches} expected matches, ${journal} journal-block checks)\n`,
    );
    expect(matches).toBeGreaterThan(1000);
    expect(agreed).toBe(all.length);
  });
});

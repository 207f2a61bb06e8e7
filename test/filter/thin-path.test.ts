// The thin path (maxlines = 1 without the line buffer) against the general path, line for line: the same results
// (failures, matched lines, ignores, prefregex verdicts) on the bundled filters' fixtures and on fail2ban's sample
// corpus with fail2ban's own filters, every failregex checked and first match only, matched lines reported or not.
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { filterSpecFromDefinition } from "../../shared/filter/filter-spec.js";
import { LogFilter, type LogFilterOptions } from "../../shared/filter/log-filter.js";
import { bundledConfig } from "../filters/bundled-filters.js";
import { fail2banConfig, fail2banSampleLogs, requireFail2ban } from "../support/reference.js";
import { runSampleFile, SAMPLE_TIME_ZONE } from "../support/sample-conformance.js";

requireFail2ban();

const fixtureDir = fileURLToPath(new URL("../filters/fixtures", import.meta.url));
const bundledFixtures = readdirSync(fixtureDir)
  .filter((file) => file.endsWith(".log"))
  .map((file) => file.slice(0, -".log".length));
const referenceSamples = readdirSync(fail2banSampleLogs).filter((name) => !name.includes("."));

const MODES: ReadonlyArray<[string, LogFilterOptions]> = [
  ["every failregex, matched lines", { checkAllRegex: true, reportMatches: true }],
  ["first failregex, matched lines", { checkAllRegex: false, reportMatches: true }],
  ["first failregex, no matched lines", { checkAllRegex: false, reportMatches: false }],
];

/** Runs a sample file through both paths; returns how many lines of maxlines = 1 filters were compared. */
function compareOn(configDir: string, sampleDir: string, name: string, mode: LogFilterOptions): number {
  let compared = 0;
  runSampleFile(sampleDir, name, (filterName, options) => {
    const definition = loadFilterDefinition(configDir, { name: filterName.replace(/\.log$/, ""), options });
    const spec = filterSpecFromDefinition(definition);
    const base = { useDns: "raw" as const, timeZone: SAMPLE_TIME_ZONE, ...mode };
    const thin = new LogFilter(spec, base);
    const full = new LogFilter(spec, { ...base, thinPath: false });
    return {
      processLine(line, context) {
        const result = thin.processLine(line, context);
        expect(result, `${name}: ${line}`).toEqual(full.processLine(line, context));
        if (thin.maxLines <= 1) compared++;
        return result;
      },
    };
  });
  return compared;
}

describe.each(MODES)("the thin path gives the general path's results (%s)", (_mode, mode) => {
  it("on the bundled filters' fixtures", () => {
    let compared = 0;
    for (const name of bundledFixtures) compared += compareOn(bundledConfig, fixtureDir, `${name}.log`, mode);
    expect(compared).toBeGreaterThan(200);
  });

  it("on fail2ban's sample corpus with fail2ban's filters", () => {
    let compared = 0;
    for (const name of referenceSamples) {
      try {
        compared += compareOn(fail2banConfig, fail2banSampleLogs, name, mode);
      } catch (error) {
        // a sample whose filter our engine refuses is the conformance suite's business; a difference is ours
        if ((error as Error).name === "AssertionError") throw error;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });
});

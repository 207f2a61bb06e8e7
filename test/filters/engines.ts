// The engines the filter tests run: cloudjail's own (what users run) and, as a differential check of the filters
// themselves, the reference fail2ban.
import { runSampleFileWithEngine } from "./engine-filter.js";
import { runSampleFileWithReference, type SampleRun } from "./reference-filter.js";

/** Runs an annotated sample file (`name` in `sampleDir`) against the filters of `configDir`. */
export type SampleRunner = (configDir: string, sampleDir: string, name: string) => SampleRun;

/** [label, runner] pairs for describe.each. */
export const ENGINES: ReadonlyArray<readonly [string, SampleRunner]> = [
  ["cloudjail engine", runSampleFileWithEngine],
  ["fail2ban reference", runSampleFileWithReference],
];

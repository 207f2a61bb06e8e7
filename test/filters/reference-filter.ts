// The reference fail2ban as a LineProcessor, for differential checks of the bundled filters. fail2ban is Python and
// processes a whole sequence at once, so a sample file is run twice: a first pass records the lines each filter
// instance is fed, one Python process runs them all, and a second pass replays the reference's answers in order.
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { LineContext, LineResult } from "../../shared/filter/log-filter.js";
import { fail2banPython } from "../support/reference.js";
import {
  type FilterFactory,
  type LineProcessor,
  runSampleFile,
  SAMPLE_NOW,
  type SampleVerdict,
} from "../support/sample-conformance.js";

const script = fileURLToPath(new URL("./reference-filter.py", import.meta.url));

interface Call {
  line: string;
  time?: number;
  timeText?: string;
}

interface ReferenceFailure {
  regexIndex: number;
  id: string;
  time: number | undefined;
  nofail: boolean;
  host: string;
}

/** Runs recorded line sequences through fail2ban's Filter; returns each call's failures, per job key. */
function runReference(
  configDir: string,
  jobs: ReadonlyArray<{ key: string; name: string; options: Record<string, string>; calls: Call[] }>,
): Record<string, ReferenceFailure[][]> {
  const request = {
    fail2ban: dirname(fail2banPython),
    configDir,
    timeZone: "CET-01CEST-02,M3.5.0,M10.5.0",
    now: SAMPLE_NOW,
    jobs,
  };
  const run = spawnSync("python3", [script], { input: JSON.stringify(request), encoding: "utf8", maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`reference fail2ban failed: ${run.stderr || run.error?.message}`);
  return JSON.parse(run.stdout) as Record<string, ReferenceFailure[][]>;
}

function toResult(failures: readonly ReferenceFailure[]): LineResult {
  return {
    failures: failures.map((f) => ({
      regexIndex: f.regexIndex,
      id: f.id,
      isHostName: false,
      time: f.time ?? undefined,
      matches: [],
      fields: { host: f.host },
      nofail: f.nofail,
    })),
    ignoredBy: undefined,
    dateTemplate: undefined,
    prefixMatched: true,
    consumedLines: [],
  };
}

/** The verdicts on an annotated file, and every address or id any filter instance reported (failures and nofail). */
export interface SampleRun {
  readonly verdicts: SampleVerdict[];
  readonly reported: string[];
}

/**
 * Runs an annotated sample file against the filters of `configDir` with the reference fail2ban (in fail2ban's test
 * time zone and clock, like {@link runSampleFile} with our engine). `name` is the file name in `sampleDir`; a
 * `.log` extension is dropped to name the filter.
 */
export function runSampleFileWithReference(configDir: string, sampleDir: string, name: string): SampleRun {
  const jobs = new Map<string, { key: string; name: string; options: Record<string, string>; calls: Call[] }>();
  let instance = 0;
  const recording: FilterFactory = (filterName, options) => {
    const job = { key: String(instance++), name: filterName.replace(/\.log$/, ""), options, calls: [] as Call[] };
    jobs.set(job.key, job);
    return {
      processLine(line: string, context: LineContext): LineResult {
        job.calls.push({
          line,
          ...(context.time !== undefined ? { time: context.time } : {}),
          ...(context.timeText !== undefined ? { timeText: context.timeText } : {}),
        });
        return toResult([]);
      },
    };
  };
  runSampleFile(sampleDir, name, recording);
  const answers = runReference(configDir, [...jobs.values()]);
  instance = 0;
  const replaying: FilterFactory = (): LineProcessor => {
    const results = answers[String(instance++)] ?? [];
    let next = 0;
    return { processLine: () => toResult(results[next++] ?? []) };
  };
  const verdicts = runSampleFile(sampleDir, name, replaying);
  const reported = Object.values(answers).flatMap((calls) => calls.flat().flatMap((f) => [f.id, f.host]));
  return { verdicts, reported: reported.filter((id) => id !== "") };
}

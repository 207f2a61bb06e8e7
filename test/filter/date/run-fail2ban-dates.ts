// Runs date-detection cases through fail2ban's own DateDetector (one python3 process for the whole batch).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fail2banRoot, requireFail2ban } from "../../support/reference.js";

/** One detector run: a fresh detector fed these lines in order. */
export interface ReferenceCase {
  readonly tz: string;
  readonly datepattern?: string | null;
  readonly logtimezone?: string | null;
  readonly lines: ReadonlyArray<{ readonly line: string; readonly now: number }>;
}

/** fail2ban's answer for one line: null (no template matched) or the template, span and time. */
export type ReferenceLine = null | {
  readonly time: number | null | "empty";
  readonly start: number;
  readonly end: number;
  readonly template: string;
};

/** fail2ban's answers for one case. */
export interface ReferenceResult {
  readonly error: string | null;
  readonly lines: readonly ReferenceLine[];
  readonly hits: ReadonlyArray<readonly [string, number]>;
}

/** The template fail2ban builds for a pattern, or why it refuses it. */
export type ReferenceTemplate =
  | { readonly name: string; readonly regex: string; readonly flags: number }
  | { readonly error: string };

/** Runs all cases in one python3 process and returns fail2ban's results in the same order. */
export function runFail2banDates(cases: readonly ReferenceCase[]): ReferenceResult[] {
  return runReference({ cases }).results;
}

/** Asks fail2ban which template (name, regex, flags) it builds for each pattern, in one python3 process. */
export function describeFail2banTemplates(patterns: readonly string[]): ReferenceTemplate[] {
  return runReference({ describe: patterns }).templates;
}

function runReference(request: object): { results: ReferenceResult[]; templates: ReferenceTemplate[] } {
  requireFail2ban();
  const script = join(dirname(fileURLToPath(import.meta.url)), "fail2ban-dates.py");
  const run = spawnSync("python3", [script], {
    input: JSON.stringify(request),
    env: { ...process.env, PYTHONPATH: join(fail2banRoot, "usr", "lib", "python3", "dist-packages") },
    maxBuffer: 256 * 1024 * 1024,
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`fail2ban reference run failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as { results: ReferenceResult[]; templates: ReferenceTemplate[] };
}

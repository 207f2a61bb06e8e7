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

/**
 * Default templates fail2ban changed after 1.0.2 (the reference here), which we follow: 1.1.1 added a dash and colons
 * to the compact ISO 8601 template (xrdp's `20050123-21:59:59`). [1.0.2's text in the name, ours]. Lines these
 * templates match in both versions get the same date; only the name differs.
 */
const CHANGED_SINCE_1_0_2: ReadonlyArray<readonly [string, string]> = [
  ["ExYearExMonthExDay(?:T|  ?)Ex24hourExMinuteExSecond", "ExYearExMonthExDay(?:-|T|  ?)Ex24hour:?ExMinute:?ExSecond"],
];

/** A fail2ban 1.0.2 template name as the template is named now. */
function currentName(name: string): string {
  return CHANGED_SINCE_1_0_2.reduce((text, [old, current]) => text.replace(old, current), name);
}

/**
 * Runs all cases in one python3 process and returns fail2ban's results in the same order, the names of the templates
 * changed since 1.0.2 (CHANGED_SINCE_1_0_2) given as they are now.
 */
export function runFail2banDates(cases: readonly ReferenceCase[]): ReferenceResult[] {
  return runReference({ cases }).results.map((result) => ({
    ...result,
    lines: result.lines.map((line) => line && { ...line, template: currentName(line.template) }),
    hits: result.hits.map(([name, hits]) => [currentName(name), hits] as const),
  }));
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

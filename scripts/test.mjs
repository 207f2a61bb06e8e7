// `npm test`: prepares what the suite needs (Debian packages, the reference fail2ban), then runs the static checks,
// the whole vitest suite and an offline `cdk synth`. Stops at the first failing step with its exit code.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

const results = ".test-results.json";

const steps = [
  ["prepare test environment", "node", ["scripts/prepare-test-env.mjs"]],
  ["build", "node", ["scripts/build.mjs"]],
  ["typecheck", "npx", ["tsc", "--noEmit"]],
  ["lint", "npx", ["biome", "check", "."]],
  [
    "tests",
    "npx",
    [
      "vitest",
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${results}`,
      ...process.argv.slice(2),
    ],
  ],
];
if (existsSync("cdk/app.ts")) steps.push(["cdk synth", "npx", ["cdk", "synth", "--quiet"]]);

let totals;

/** Reads the suite's totals from vitest's JSON report (then removes the report). */
function readTotals() {
  if (!existsSync(results)) return;
  const report = JSON.parse(readFileSync(results, "utf8"));
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  totals = `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`;
  rmSync(results, { force: true });
}

/** Ends the output with the totals as one plain line, `tests: N passed, N failed`, for tools that read it. */
function finish(code) {
  if (totals) process.stdout.write(`${totals}\n`);
  process.exit(code);
}

for (const [title, command, args] of steps) {
  process.stderr.write(`\n== ${title}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: "inherit" });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (title === "tests") readTotals();
  if (result.status !== 0) {
    process.stderr.write(`== ${title} failed (exit ${result.status ?? result.signal}) after ${seconds}s\n`);
    finish(result.status ?? 1);
  }
  process.stderr.write(`== ${title} ok (${seconds}s)\n`);
}
finish(0);

// `npm test`: prepares what the suite needs (Debian packages, the reference fail2ban), then runs the static checks,
// the whole vitest suite and an offline `cdk synth`. Stops at the first failing step with its exit code.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const steps = [
  ["prepare test environment", "node", ["scripts/prepare-test-env.mjs"]],
  ["build", "node", ["scripts/build.mjs"]],
  ["typecheck", "npx", ["tsc", "--noEmit"]],
  ["lint", "npx", ["biome", "check", "."]],
  ["tests", "npx", ["vitest", "run", ...process.argv.slice(2)]],
];
if (existsSync("cdk/app.ts")) steps.push(["cdk synth", "npx", ["cdk", "synth", "--quiet"]]);

for (const [title, command, args] of steps) {
  process.stderr.write(`\n== ${title}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: "inherit" });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stderr.write(`== ${title} failed (exit ${result.status ?? result.signal}) after ${seconds}s\n`);
    process.exit(result.status ?? 1);
  }
  process.stderr.write(`== ${title} ok (${seconds}s)\n`);
}

// Runs the built `cloudjail` command as a user would (npm test builds dist/ before the suite).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "bin", "cloudjail.js");

/** The `cloudjail` launcher, for tests that need to spawn it with an environment of their own. */
export const cliBin = bin;

/** The result of one command run. */
export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cloudjail ...args`; throws when dist/ is missing, so that a test cannot pass without the command. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliResult {
  if (!existsSync(join(root, "dist", "cli.js"))) throw new Error("dist/cli.js missing: run `npm run build` first");
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, TZ: "UTC", ...env },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

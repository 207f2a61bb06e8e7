// The two commands the reference tests compare: the built `cloudjail regex` and the reference fail2ban-regex, both
// run with fail2ban's own configuration tree, their output checked to be a success.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { repoRoot } from "../host/support/repo-root.js";
import { fail2banConfig, fail2banPython, fail2banRoot } from "./reference.js";

/** How a command is run: its time zone (default: the test process's), and the Python for fail2ban-regex. */
export interface RegexRun {
  readonly tz?: string;
  /** Default `python3`; Debian's /usr/bin/python3 where a Debian Python module (python3-systemd) is needed. */
  readonly python?: string;
}

function environment(run: RegexRun, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...(run.tz ? { TZ: run.tz } : {}), ...extra };
}

/** Standard output of `cloudjail regex --config <fail2ban's tree> ...args` (which must succeed). */
export function cloudjailRegex(args: readonly string[], run: RegexRun = {}): string {
  const command = [join(repoRoot(), "bin", "cloudjail.js"), "regex", "--config", fail2banConfig, ...args];
  const result = spawnSync("node", command, { encoding: "utf8", env: environment(run) });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/** Standard output of the reference `fail2ban-regex -c <its tree> ...args` (which must succeed). */
export function fail2banRegex(args: readonly string[], run: RegexRun = {}): string {
  const command = [join(fail2banRoot, "usr", "bin", "fail2ban-regex"), "-c", fail2banConfig, ...args];
  const env = environment(run, { PYTHONPATH: join(fail2banPython, "..") });
  const result = spawnSync(run.python ?? "python3", command, { encoding: "utf8", env });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/** A summary without the time taken, the one line that differs between runs. */
export function withoutTime(output: string): string {
  return output.replace(/^\[processed in [\d.]+ sec\]\n/m, "").trimEnd();
}

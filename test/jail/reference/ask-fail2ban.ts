// Runs fail2ban-jail-reference.py with the reference fail2ban on the Python path and returns its JSON answer.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fail2banPython, requireFail2ban } from "../../support/reference.js";

const script = join(dirname(fileURLToPath(import.meta.url)), "fail2ban-jail-reference.py");

/** Sends `request` to the reference script and parses what it prints; throws with its stderr when it fails. */
export function askFail2ban<T>(request: Record<string, unknown>): T {
  requireFail2ban();
  const result = spawnSync("python3", [script], {
    input: JSON.stringify(request),
    encoding: "utf8",
    env: { ...process.env, PYTHONPATH: dirname(fail2banPython) },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`reference fail2ban failed (${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

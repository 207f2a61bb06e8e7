// Helpers of the daemon tests that feed a live log: sshd failure lines appended now, and waiting for the daemon
// with its own log shown when it does not get there.
import { appendFileSync, readFileSync } from "node:fs";

/** Appends `count` sshd "Failed password" lines from `ip`, stamped now, to `logFile`. */
export function appendFailures(logFile: string, ip: string, count: number): void {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(
      `${new Date().toISOString()} web1 sshd[${4000 + i}]: Failed password for root from ${ip} port ${50000 + i} ssh2`,
    );
  }
  appendFileSync(logFile, `${lines.join("\n")}\n`);
}

/** Polls `predicate` until true; after `timeoutMs` throws with the daemon's log (`daemonLog`) in the message. */
export async function waitFor(
  what: string,
  predicate: () => Promise<boolean> | boolean,
  daemonLog: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${readFileSync(daemonLog, "utf8")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// A real systemd-journald for tests, in a private mount namespace (its own tmpfs /run/systemd and /run/log), so
// that nothing reaches the host's journal. Commands reach it with nsenter into that mount namespace.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A private journald and how to talk to it. */
export interface TestJournald {
  /** A journalctl wrapper script that runs journalctl inside the private namespace. */
  readonly journalctl: string;
  /** Writes `message` to the journal with syslog identifier `identifier` (through systemd-cat). */
  log(identifier: string, message: string): void;
  stop(): void;
}

const JOURNALD = "/lib/systemd/systemd-journald";

/** True when journald, unshare and nsenter are present and we are root. */
export function canRunJournald(): boolean {
  return process.getuid?.() === 0 && existsSync(JOURNALD);
}

/** Starts journald in a new mount namespace; resolves when it accepts entries. */
export async function startJournald(dir: string): Promise<TestJournald> {
  const boot = join(dir, "journald.sh");
  writeFileSync(
    boot,
    `#!/bin/sh\nset -e\nmkdir -p /run/systemd /run/log\nmount -t tmpfs tmpfs /run/systemd\nmount -t tmpfs tmpfs /run/log\nmkdir -p /run/systemd/journal\nexec ${JOURNALD}\n`,
  );
  chmodSync(boot, 0o755);
  const child: ChildProcess = spawn("unshare", ["--mount", "--propagation", "private", boot], { stdio: "ignore" });
  const mnt = `--mount=/proc/${child.pid}/ns/mnt`;
  const journalctl = join(dir, "journalctl");
  writeFileSync(journalctl, `#!/bin/sh\nexec nsenter ${mnt} journalctl "$@"\n`);
  chmodSync(journalctl, 0o755);
  const log = (identifier: string, message: string) =>
    execFileSync("nsenter", [mnt, "systemd-cat", "-t", identifier], { input: `${message}\n` });
  for (let i = 0; ; i++) {
    try {
      execFileSync("nsenter", [mnt, "test", "-S", "/run/systemd/journal/stdout"]);
      break;
    } catch (error) {
      if (i > 100 || child.exitCode !== null) throw new Error(`journald did not start: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { journalctl, log, stop: () => child.kill() };
}

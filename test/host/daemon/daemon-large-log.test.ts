// A large log read in one go (a daemon starting on a big file, `server --once`): the filter's watched worker takes
// the whole backlog, abandons nothing and loses nothing; its decisions are those of the filter run inline.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFilterWorker } from "../../../cdk/lambda-bundling.js";
import { Daemon } from "../../../host/daemon/daemon.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { memoryLog } from "../support/memory-log.js";
import { repoRoot } from "../support/repo-root.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-large-log-"));
const workerPath = join(work, "filter-worker.mjs");
const authLog = join(work, "auth.log");
const LINES = 150_000;
/** An attacker every ATTACK_EVERY lines, with maxretry failures in a row. */
const ATTACK_EVERY = 2_000;
const configDir = makeConfigDir({
  "jail.conf": `[sshd]
enabled = true
filter = sshd
logpath = ${authLog}
maxretry = 5
findtime = 10m
bantime = 1h
action = dry-run
ignoreself = false
`,
});

/** Syslog lines, one a second from 1 March: logins, cron, and the attackers' bursts. */
function writeLog(): number {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const start = Date.UTC(2026, 2, 1);
  const lines: string[] = [];
  let attackers = 0;
  for (let i = 0; i < LINES; i++) {
    const d = new Date(start + i * 1000);
    const stamp = `${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${d.toISOString().slice(11, 19)}`;
    const attack = i % ATTACK_EVERY;
    let message: string;
    if (attack < 5) {
      const k = Math.floor(i / ATTACK_EVERY);
      if (attack === 0) attackers++;
      message = `sshd[${1000 + k}]: Failed password for invalid user admin from 203.0.${k >> 8}.${k & 255} port ${40000 + attack} ssh2`;
    } else if (i % 3 === 0) {
      message = `sshd[${2000 + (i % 5000)}]: Accepted publickey for deploy from 198.51.100.10 port ${i % 60000} ssh2`;
    } else {
      message = `CRON[${3000 + (i % 5000)}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`;
    }
    lines.push(`${stamp} bastion ${message}`);
  }
  writeFileSync(authLog, `${lines.join("\n")}\n`);
  return attackers;
}

let attackers = 0;
beforeAll(async () => {
  attackers = writeLog();
  await bundleFilterWorker(repoRoot(), workerPath);
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

/** The daemon's log lines of a `--once` run over the log (or `log`), with the filter in its worker or inline. */
async function runOnce(guarded: boolean, log = authLog): Promise<string[]> {
  const output = memoryLog();
  const daemon = new Daemon({
    settings: readDaemonSettings(configDir, { dbfile: ":memory:" }),
    log: output,
    logpaths: { sshd: [log] },
    dryRun: true,
    once: true,
    printDryRun: () => {},
    ...(guarded ? { filterWorkerPath: workerPath } : {}),
  });
  await daemon.start();
  try {
    await daemon.runOnce();
  } finally {
    await daemon.stop();
  }
  return output.lines;
}

describe("daemon over a large log", () => {
  it("bans every attacker with the filter in its worker, as inline, and abandons nothing", async () => {
    const guarded = await runOnce(true);
    expect(guarded.filter((line) => / (ERROR|WARNING) /.test(line))).toEqual([]);
    const bans = (lines: string[]) =>
      lines.filter((line) => / Ban /.test(line)).map((line) => line.slice(line.indexOf("[sshd]")));
    expect(bans(guarded)).toHaveLength(attackers);
    expect(bans(guarded)).toEqual(bans(await runOnce(false)));
  });

  it("reads on past a line longer than one read pass (16 MB)", async () => {
    // --once stopped at the first pass that completed no line, taking the giant line's first 16 MB for the end
    const giant = join(work, "giant.log");
    const failure = (n: number) =>
      `Mar  1 00:00:0${n} bastion sshd[${n}]: Failed password for invalid user admin from 203.0.113.50 port ${n} ssh2`;
    writeFileSync(
      giant,
      `Mar  1 00:00:00 bastion sshd[1]: Accepted publickey for ${"a".repeat(20 * 1024 * 1024)}\n${[1, 2, 3, 4, 5].map(failure).join("\n")}\n`,
    );
    const lines = await runOnce(true, giant);
    expect(lines.filter((line) => / Ban /.test(line)).map((line) => line.slice(line.indexOf("[sshd]")))).toEqual([
      "[sshd] Ban 203.0.113.50",
    ]);
  });
});

// Under a flood most failure lines come from addresses the jail has already banned. They count for nothing, so the
// daemon does not take them to the store: a new attacker's failures, in the middle of them, cost the same store
// work as without the flood, and are banned in log order. Counted with the failures taken to the jail logic, and the
// real SQLite store's reads (one per address: the daemon's write-behind store keeps what it read).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { Daemon } from "../../../host/daemon/daemon.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { JailRunner } from "../../../shared/jail/jail-runner.js";
import { SqliteStore } from "../../../shared/store/sqlite-store.js";
import { memoryLog } from "../support/memory-log.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-flood-banned-"));
const configDir = makeConfigDir({
  "jail.conf": `[sshd]
enabled = true
filter = sshd
logpath = ${join(work, "unused.log")}
maxretry = 3
findtime = 10m
bantime = 1h
action = dry-run
ignoreip = 10.9.0.0/16
ignoreself = false
`,
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const flooder = (i: number) => `10.1.${i >> 8}.${i & 255}`;
const PROBE = "192.0.2.50";

/** Syslog failure lines, ten a second from 1 March; lines from `later` on come `gap` seconds later. */
function logText(ips: readonly string[], later = ips.length, gap = 0): string {
  const start = Date.UTC(2026, 2, 1);
  return ips
    .map((ip, n) => {
      const seconds = Math.floor(n / 10) + (n >= later ? gap : 0);
      const stamp = new Date(start + seconds * 1000).toISOString().slice(11, 19);
      return `Mar  1 ${stamp} bastion sshd[${1000 + n}]: Failed password for root from ${ip} port ${40000 + n} ssh2`;
    })
    .join("\n")
    .concat("\n");
}

async function runOnce(ips: readonly string[], later?: number, gap?: number) {
  const log = join(work, "auth.log");
  writeFileSync(log, logText(ips, later, gap));
  const gets = vi.spyOn(SqliteStore.prototype, "get");
  const recorded = vi.spyOn(JailRunner.prototype, "recordFailure");
  const output = memoryLog();
  const daemon = new Daemon({
    settings: readDaemonSettings(configDir, { dbfile: ":memory:" }),
    log: output,
    logpaths: { sshd: [log] },
    dryRun: true,
    once: true,
    printDryRun: () => {},
  });
  await daemon.start();
  let totalFailed: number;
  try {
    await daemon.runOnce();
    totalFailed = daemon.pipeline("sshd").stats.totalFailed;
  } finally {
    await daemon.stop();
  }
  const bans = output.lines.filter((line) => / Ban /.test(line)).map((line) => line.slice(line.indexOf("[sshd]")));
  return {
    storeGets: gets.mock.calls.length,
    storeFailures: recorded.mock.calls.length,
    totalFailed,
    bans,
    errors: output.lines.filter((l) => / ERROR /.test(l)),
  };
}

describe("failures of banned addresses under a flood", () => {
  const flooders = 300;
  const rounds = (count: number) => Array.from({ length: count * flooders }, (_, n) => flooder(n % flooders));

  it.each([0, 4, 12])(
    "with %i more rounds from banned addresses, the store is read for new failures only and the probe is banned in order",
    async (more) => {
      const after = rounds(more);
      const middle = Math.floor(after.length / 2);
      const ips = [...rounds(3), ...after.slice(0, middle), PROBE, PROBE, PROBE, ...after.slice(middle)];
      const result = await runOnce(ips);
      expect(result.errors).toEqual([]);
      expect(result.bans).toEqual([...rounds(1).map((ip) => `[sshd] Ban ${ip}`), `[sshd] Ban ${PROBE}`]);
      // the failures of addresses not banned go to the store: 3 per flooder, 3 for the probe, none for the flood after
      expect(result.storeFailures).toBe(3 * flooders + 3);
      // and SQLite is read once per address
      expect(result.storeGets).toBe(flooders + 1);
      // they are still failures, as fail2ban counts them
      expect(result.totalFailed).toBe(ips.length);
    },
  );

  it("an ignored address and a failure older than findtime still go to the store's own screening", async () => {
    // 10.9.0.1 is in ignoreip: never banned, whatever the flood
    const ignored = Array.from({ length: 10 }, () => "10.9.0.1");
    const result = await runOnce([...rounds(3), ...ignored]);
    expect(result.bans).toHaveLength(flooders);
    expect(result.bans.some((ban) => ban.includes("10.9.0.1"))).toBe(false);
    expect(result.storeFailures).toBe(3 * flooders + 10);
    expect(result.storeGets).toBe(flooders);
    expect(result.totalFailed).toBe(3 * flooders + 10);
  });

  it("failures after the ban ended count again and ban again", async () => {
    // bantime is 1h: the same addresses an hour and a half later are new offenders
    const result = await runOnce([...rounds(3), ...rounds(3)], 3 * flooders, 5400);
    expect(result.bans).toEqual([...rounds(1), ...rounds(1)].map((ip) => `[sshd] Ban ${ip}`));
    expect(result.storeFailures).toBe(6 * flooders);
    expect(result.storeGets).toBe(flooders);
    expect(result.totalFailed).toBe(6 * flooders);
  });
});

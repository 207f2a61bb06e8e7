// One jail fed slow lines must not delay another jail's bans: with both on a single filter thread, the other jail's
// failures are banned while the slow jail still has its backlog, the slow jail is isolated and says so (ERROR in the
// log, a problem line in `status`), and it still handles every one of its lines. Counted, not timed: the order of
// the bans says who waited for whom.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFilterWorker } from "../../../cdk/lambda-bundling.js";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { repoRoot } from "../support/repo-root.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-fair-"));
const workerPath = join(work, "filter-worker.mjs");
const gatewayLog = join(work, "gateway.log");
const sshdLog = join(work, "sshd.log");
const daemonLog = join(work, "cloudjail.log");
let configDir: string;

beforeAll(async () => {
  await bundleFilterWorker(repoRoot(), workerPath);
  writeFileSync(gatewayLog, "");
  writeFileSync(sshdLog, "");
  const jail = (name: string, log: string, maxretry: number) =>
    `[${name}]\nenabled = true\nlogpath = ${log}\nmaxretry = ${maxretry}\nbantime = 1h\naction = dry-run\nignoreself = false\n`;
  configDir = makeConfigDir({
    // nested quantifiers: a crafted session name backtracks for milliseconds (see filter-fairness.test.ts)
    "filter.d/gateway.conf":
      "[Definition]\nfailregex = ^ \\S+ session (?:\\w+\\s?)+:(?! from ) rejected from <HOST>$\n",
    "filter.d/probe-sshd.conf": "[Definition]\nfailregex = ^ sshd\\[\\d+\\]: Failed password for \\S+ from <HOST>\n",
    "jail.conf": jail("gateway", gatewayLog, 1) + jail("probe-sshd", sshdLog, 3),
  });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("daemon with a jail fed slow lines", () => {
  it("bans another jail's attacker before the slow jail's backlog is handled, and isolates and reports the slow jail", async () => {
    const settings = readDaemonSettings(configDir, {
      dbfile: ":memory:",
      logtarget: daemonLog,
      socket: join(work, "s"),
      pidfile: join(work, "pid"),
    });
    const daemon = new Daemon({
      settings,
      log: openDaemonLog(daemonLog, "INFO"),
      dryRun: true,
      printDryRun: () => {},
      filterWorkerPath: workerPath,
      filterThreads: 1,
    });
    await daemon.start();
    try {
      const stamp = () => new Date().toISOString();
      // 600 lines of a few milliseconds each; every 20th is a failure of its own address (maxretry 1): the gateway
      // jail's bans count how far it has got
      const gatewayLines: string[] = [];
      for (let i = 0; i < 600; i++) {
        gatewayLines.push(
          i % 20 === 19
            ? `${stamp()} gw session ok: rejected from 192.0.2.${Math.floor(i / 20) + 1}`
            : `${stamp()} gw${i} session ${"a".repeat(19)}! rejected from 203.0.113.1`,
        );
      }
      appendFileSync(gatewayLog, `${gatewayLines.join("\n")}\n`);
      const gatewayTotal = 600 / 20;
      const deadline = Date.now() + 120_000;
      // the gateway jail is at work
      while ((await daemon.bannedIps("gateway")).length === 0 && Date.now() < deadline) await pause(5);
      appendFileSync(
        sshdLog,
        [1, 2, 3].map((n) => `${stamp()} sshd[${n}]: Failed password for root from 198.51.100.7 port 22`).join("\n") +
          "\n",
      );
      while ((await daemon.bannedIps("probe-sshd")).length === 0 && Date.now() < deadline) await pause(5);
      const gatewayBansAtProbe = (await daemon.bannedIps("gateway")).length;
      expect(await daemon.bannedIps("probe-sshd")).toEqual(["198.51.100.7"]);
      // the probe did not wait for the gateway jail's backlog
      expect(gatewayBansAtProbe).toBeLessThan(gatewayTotal);
      // nothing dropped: the slow jail handles all of its lines, in its own time
      while ((await daemon.bannedIps("gateway")).length < gatewayTotal && Date.now() < deadline) await pause(20);
      expect((await daemon.bannedIps("gateway")).length).toBe(gatewayTotal);
      expect(daemon.jailProblems("gateway")).toEqual([
        expect.stringMatching(
          /^filter isolated from the other jails: its lines took [\d.]+ ms each on average over the last \d+ .*: moved to the quarantine thread and throttled$/,
        ),
      ]);
      expect(daemon.jailProblems("probe-sshd")).toEqual([]);
      const log = readFileSync(daemonLog, "utf8");
      expect(log.match(/ERROR {3}\[gateway\] its filter is isolated from the other jails/g)).toHaveLength(1);
    } finally {
      await daemon.stop();
    }
  }, 180_000);
});

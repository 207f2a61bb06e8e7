// A crafted log line must not stall the daemon: with the filter in its watched worker, the line is abandoned and
// reported, and the lines around it still lead to bans.
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

const work = mkdtempSync(join(tmpdir(), "cloudjail-redos-"));
const workerPath = join(work, "filter-worker.mjs");
const appLog = join(work, "gateway.log");
const daemonLog = join(work, "cloudjail.log");
let configDir: string;

beforeAll(async () => {
  await bundleFilterWorker(repoRoot(), workerPath);
  writeFileSync(appLog, "");
  configDir = makeConfigDir({
    // Nested overlapping quantifiers before a lookahead: exponential backtracking on a crafted session name.
    "filter.d/gateway.conf":
      "[Definition]\nfailregex = ^ \\S+ session (?:\\w+\\s?)+:(?! from ) rejected from <HOST>$\n",
    "jail.conf": `[gateway]\nenabled = true\nlogpath = ${appLog}\nmaxretry = 1\nbantime = 1h\naction = dry-run\nignoreself = false\n`,
  });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

describe("daemon and a regex that blows up", () => {
  it("abandons the crafted line, reports it, and keeps banning", async () => {
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
    });
    await daemon.start();
    try {
      const stamp = () => new Date().toISOString();
      appendFileSync(
        appLog,
        [
          `${stamp()} gw session abc: rejected from 192.0.2.10`,
          `${stamp()} gw session ${"a".repeat(80)}! rejected from 192.0.2.8`,
          `${stamp()} gw session def: rejected from 192.0.2.11`,
          "",
        ].join("\n"),
      );
      const started = Date.now();
      const deadline = started + 20_000;
      while ((await daemon.bannedIps("gateway")).length < 2 && Date.now() < deadline) await daemon.idle();
      expect((await daemon.bannedIps("gateway")).sort()).toEqual(["192.0.2.10", "192.0.2.11"]);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(readFileSync(daemonLog, "utf8")).toMatch(
        /ERROR {3}\[gateway\] abandoned a line of .*gateway\.log after 40 ms/,
      );
    } finally {
      await daemon.stop();
    }
  });
});

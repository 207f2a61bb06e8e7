// A jail whose logpath glob matches many files: one filter worker for the jail (not one thread per file), and each
// file keeps its own multi-line state, so that lines of two files never complete each other's failures.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFilterWorker } from "../../../cdk/lambda-bundling.js";
import { Daemon } from "../../../host/daemon/daemon.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { memoryLog } from "../support/memory-log.js";
import { repoRoot } from "../support/repo-root.js";
import { makeConfigDir } from "../support/test-config.js";

const FILES = 40;
const work = mkdtempSync(join(tmpdir(), "cloudjail-many-logs-"));
const workerPath = join(work, "filter-worker.mjs");
const logs = join(work, "logs");
let configDir: string;

beforeAll(async () => {
  await bundleFilterWorker(repoRoot(), workerPath);
  mkdirSync(logs);
  // app1 begins a sequence whose second line is in app2: not a failure. Every other file holds a whole one.
  writeFileSync(join(logs, "app1.log"), "2026-11-21 10:00:00 begin from 192.0.2.1\n");
  writeFileSync(join(logs, "app2.log"), "2026-11-21 10:00:01 auth denied\n");
  for (let i = 3; i <= FILES; i++) {
    writeFileSync(
      join(logs, `app${i}.log`),
      `2026-11-21 10:00:${String(i).padStart(2, "0")} begin from 192.0.2.9\n2026-11-21 10:00:${String(i).padStart(2, "0")} auth denied\n`,
    );
  }
  configDir = makeConfigDir({
    "filter.d/twoline.conf": "[Definition]\nfailregex = ^ begin from <HOST>\\n auth denied$\nmaxlines = 2\n",
    "jail.conf": `[twoline]\nenabled = true\nfilter = twoline\nlogpath = ${logs}/*.log\nmaxretry = 1\nfindtime = 1d\nbantime = 1h\naction = dry-run\nignoreself = false\n`,
  });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

const threads = () => readdirSync("/proc/self/task").length;

describe("daemon with a glob of many logs", () => {
  it("runs one filter worker for the jail and keeps each file's multi-line state apart", async () => {
    const log = memoryLog();
    const daemon = new Daemon({
      settings: readDaemonSettings(configDir, { dbfile: ":memory:" }),
      log,
      dryRun: true,
      once: true,
      printDryRun: () => {},
      filterWorkerPath: workerPath,
    });
    const before = threads();
    await daemon.start();
    try {
      await daemon.runOnce();
      // one worker thread (and whatever Node starts for it), not one per file
      expect(threads() - before).toBeLessThan(8);
      expect(await daemon.bannedIps("twoline")).toEqual(["192.0.2.9"]);
      expect(log.lines.filter((line) => / (ERROR|WARNING) /.test(line))).toEqual([]);
    } finally {
      await daemon.stop();
    }
  });
});

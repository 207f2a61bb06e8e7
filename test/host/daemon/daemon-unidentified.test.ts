// A filter in fail2ban 1.1's form may leave the address optional (in the prefregex's head or the failregex's body).
// A line that has none matches but names nobody: the daemon says so in an ERROR and goes on, and the lines around it
// still lead to bans (before, the whole batch of lines was dropped with the error).
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFilterWorker } from "../../../cdk/lambda-bundling.js";
import { executeCommand } from "../../../host/control/control-commands.js";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { repoRoot } from "../support/repo-root.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-unidentified-"));
const workerPath = join(work, "filter-worker.mjs");
const appLog = join(work, "mail.log");
const daemonLog = join(work, "cloudjail.log");
let configDir: string;

beforeAll(async () => {
  await bundleFilterWorker(repoRoot(), workerPath);
  writeFileSync(appLog, "");
  configDir = makeConfigDir({
    "filter.d/mail.conf": [
      "[Definition]",
      "prefregex = ^\\s*mail: (?:client=<ADDR>, )?<F-CONTENT>.+</F-CONTENT>$",
      "failregex = ^auth failed(?: from <ADDR>)?$",
      "",
    ].join("\n"),
    "jail.conf": `[mail]\nenabled = true\nlogpath = ${appLog}\nmaxretry = 1\nbantime = 1h\naction = dry-run\nignoreself = false\n`,
  });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

describe("daemon and a line a failregex matches without an address", () => {
  it("reports it as an ERROR and keeps banning the addressed lines around it", async () => {
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
          `${stamp()} mail: client=192.0.2.20, auth failed`,
          `${stamp()} mail: auth failed`,
          `${stamp()} mail: auth failed from 192.0.2.21`,
          "",
        ].join("\n"),
      );
      const deadline = Date.now() + 20_000;
      while ((await daemon.bannedIps("mail")).length < 2 && Date.now() < deadline) await daemon.idle();
      expect((await daemon.bannedIps("mail")).sort()).toEqual(["192.0.2.20", "192.0.2.21"]);
      const logged = readFileSync(daemonLog, "utf8");
      expect(logged).toMatch(
        /ERROR {3}\[mail\] failregex #1 matched a line of .*mail\.log but captured no address or failure id: not counted: .* mail: auth failed$/m,
      );
      expect(logged.match(/captured no address/g)).toHaveLength(1);
      expect(await executeCommand(daemon, ["status", "mail"])).toContain(
        "|  |- Total failed:\t2\n|  |- Matched without address:\t1\n|  `- File list:",
      );
    } finally {
      await daemon.stop();
    }
  });
});

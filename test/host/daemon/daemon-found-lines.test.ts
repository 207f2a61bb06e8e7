// fail2ban's `Found` line gives each failure's own time, whatever the lines before it: lines of the same second share
// one date text under a flood, and a new second, an earlier one (lines out of order) or a banned address's failure
// still say their own.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { waitFor } from "../support/live-log.js";
import { sshdDaemonTree } from "../support/sshd-daemon-tree.js";

const dir = mkdtempSync(join(tmpdir(), "cloudjail-found-"));
const configDirs: string[] = [];
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const configDir of configDirs) rmSync(configDir, { recursive: true, force: true });
});

describe("Found lines", () => {
  it("say each failure's own time, in log order, lines of the same second and out of order included", async () => {
    const { authLog, daemonLog, configDir } = sshdDaemonTree(dir, "found");
    configDirs.push(configDir);
    const settings = readDaemonSettings(configDir);
    const daemon = new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, settings.loglevel),
      dryRun: true,
      printDryRun: () => {},
      pollIntervalMs: 50,
    });
    await daemon.start();
    try {
      const base = Math.floor(Date.now() / 1000) - 60;
      // [seconds after base, address]: 192.0.2.1 is banned at its third failure, its fourth is a banned one's
      const failures: [number, string][] = [
        [0, "192.0.2.1"],
        [0, "192.0.2.2"],
        [0, "192.0.2.1"],
        [1, "192.0.2.3"],
        [0, "192.0.2.4"],
        [2, "192.0.2.1"],
        [2, "192.0.2.1"],
        [3, "192.0.2.2"],
      ];
      const iso = (seconds: number) => new Date((base + seconds) * 1000).toISOString();
      appendFileSync(
        authLog,
        failures
          .map(
            ([at, ip], i) => `${iso(at)} web1 sshd[${4000 + i}]: Failed password for root from ${ip} port 5${i} ssh2\n`,
          )
          .join(""),
      );
      const logText = () => readFileSync(daemonLog, "utf8");
      await waitFor("every failure", () => daemon.pipeline("sshd").stats.totalFailed === failures.length, daemonLog);
      const found = logText()
        .split("\n")
        .filter((line) => line.includes("] Found "))
        .map((line) => line.slice(line.indexOf("Found ")));
      expect(found).toEqual(failures.map(([at, ip]) => `Found ${ip} - ${iso(at).replace(/\.\d+Z$/, ".000Z")}`));
      expect(logText().match(/ Ban 192\.0\.2\.\d+/g)).toEqual([" Ban 192.0.2.1"]);
    } finally {
      await daemon.stop();
    }
  });
});

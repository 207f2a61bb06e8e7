// Reload is atomic per jail: a new configuration that does not build (an unbalanced parenthesis in
// filter.d/X.local) leaves the old jail running with its old filter, and the client gets an error answer with the
// reason. The counters of `status` go on across reloads (Total banned is never below Currently banned).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sendCommand } from "../../../host/control/control-client.js";
import { executeCommand } from "../../../host/control/control-commands.js";
import { startControlServer, stopControlServer } from "../../../host/control/control-server.js";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { appendFailures, waitFor } from "../support/live-log.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-reload-atomic-"));
const authLog = join(work, "auth.log");
const daemonLog = join(work, "cloudjail.log");
writeFileSync(authLog, "");
writeFileSync(daemonLog, "");
const configDir = makeConfigDir({
  "fail2ban.conf": `[Definition]\nloglevel = INFO\nlogtarget = ${daemonLog}\nsocket = ${join(work, "run", "sock")}\npidfile = ${join(work, "run", "pid")}\ndbfile = ${join(work, "db", "db.sqlite3")}\n`,
  "jail.conf": `[DEFAULT]\nfindtime = 10m\nmaxretry = 3\naction = dry-run\n\n[guard]\nenabled = true\nfilter = guard\nlogpath = ${authLog}\n`,
  "filter.d/guard.conf": "[Definition]\nfailregex = sshd\\[\\d+\\]: Failed password for \\S+ from <HOST>\n",
});
const localFilter = join(configDir, "filter.d", "guard.local");
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

describe("reload with a configuration that does not build", () => {
  it("keeps the old jail banning with its old filter and answers an error with the reason", async () => {
    const settings = readDaemonSettings(configDir);
    const daemon = new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, settings.loglevel),
      dryRun: true,
      printDryRun: () => {},
      pollIntervalMs: 100,
      notifyStatus: async () => undefined,
    });
    await daemon.start();
    const server = await startControlServer(settings.socket, (words) => executeCommand(daemon, words));
    const banned = async (ip: string) => (await daemon.bannedIps("guard")).includes(ip);
    try {
      appendFailures(authLog, "198.51.100.1", 3);
      await waitFor("the first ban", () => banned("198.51.100.1"), daemonLog);

      writeFileSync(localFilter, "[Definition]\nfailregex = sshd\\[\\d+\\]: (Failed password from <HOST>\n");
      const answer = await sendCommand(settings.socket, ["reload", "guard"]);
      expect(answer.ok).toBe(false);
      expect(answer.ok ? "" : answer.error).toMatch(
        new RegExp(
          `jail 'guard' not reloaded: ${localFilter.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2 \\[Definition\\] failregex: .*missing \\)`,
        ),
      );
      expect(readFileSync(daemonLog, "utf8")).toMatch(
        /ERROR {3}Reload of jail 'guard' failed, the jail keeps running its previous configuration: .*guard\.local:2/,
      );
      expect(daemon.jailNames()).toEqual(["guard"]);
      expect(await executeCommand(daemon, ["status", "guard"])).toMatch(
        /Problems\n {3}`- WARNING:\treload failed, previous configuration kept: .*guard\.local:2/,
      );
      // the same through a reload of everything
      await expect(executeCommand(daemon, ["reload"])).rejects.toThrow(/jail 'guard' not reloaded: .*guard\.local:2/);

      // a jail.local that does not even parse: nothing reloaded, nothing stopped
      writeFileSync(join(configDir, "jail.local"), "[guard\nenabled = true\n");
      await expect(executeCommand(daemon, ["reload"])).rejects.toThrow(/nothing reloaded: .*jail\.local:1/);
      expect(readFileSync(daemonLog, "utf8")).toMatch(
        /ERROR {3}Reload failed, every jail keeps running its previous configuration: /,
      );
      expect(daemon.jailNames()).toEqual(["guard"]);
      rmSync(join(configDir, "jail.local"));

      // the old filter still bans
      appendFailures(authLog, "198.51.100.2", 3);
      await waitFor("a ban by the old filter", () => banned("198.51.100.2"), daemonLog);

      // repaired: the reload goes through and the problem is gone; the counters go on
      rmSync(localFilter);
      expect(await executeCommand(daemon, ["reload", "--restart", "guard"])).toBe("OK");
      expect(daemon.jailProblems("guard")).toEqual([]);
      const status = await executeCommand(daemon, ["status", "guard"]);
      expect(status).toContain("Currently banned:\t2");
      expect(status).toContain("Total banned:\t2");
      expect(status).toContain("Total failed:\t6");
      expect(status).not.toContain("Problems");
    } finally {
      await daemon.stop();
      await stopControlServer(server, settings.socket);
    }

    // a restart: the bans restored from the store count as banned by the jail
    const again = new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, settings.loglevel),
      dryRun: true,
      printDryRun: () => {},
      notifyStatus: async () => undefined,
    });
    await again.start();
    try {
      const status = await executeCommand(again, ["status", "guard"]);
      expect(status).toContain("Currently banned:\t2");
      expect(status).toContain("Total banned:\t2");
    } finally {
      await again.stop();
    }
  });
});

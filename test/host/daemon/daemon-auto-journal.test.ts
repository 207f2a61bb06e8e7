// backend = auto on a journal-only system (Debian 12 without rsyslog): the bundled jail.conf with a tutorial's
// jail.local whose auth.log does not exist reads the journal instead, says so at INFO, reads the journal's lines as
// journal lines (not as syslog file lines), and bans. A real systemd-journald in a private mount namespace, read by
// the real journalctl.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { canRunJournald, startJournald, type TestJournald } from "../support/journald.js";
import { waitFor } from "../support/live-log.js";
import { bundledConfig, makeConfigDir } from "../support/test-config.js";

const dir = mkdtempSync(join(tmpdir(), "cloudjail-auto-journal-"));
let journald: TestJournald;

beforeAll(async () => {
  if (!canRunJournald()) throw new Error("this test needs root and systemd-journald (Debian package systemd)");
  journald = await startJournald(dir);
});
afterAll(() => {
  journald?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("backend = auto without the log file", () => {
  it("reads the journal, as journal lines, and bans", async () => {
    const missing = join(dir, "auth.log");
    const daemonLog = join(dir, "cloudjail.log");
    writeFileSync(daemonLog, "");
    const configDir = makeConfigDir(
      {
        // systemd-cat cannot write _COMM=sshd: the match is on the identifier it can write
        "jail.local": `[sshd]\nenabled = true\nlogpath = ${missing}\nmaxretry = 3\njournalmatch = SYSLOG_IDENTIFIER=sshd\naction = dry-run\nignoreself = false\n`,
      },
      bundledConfig,
    );
    const settings = readDaemonSettings(configDir, {
      dbfile: ":memory:",
      logtarget: daemonLog,
      socket: join(dir, "run", "s"),
      pidfile: join(dir, "run", "pid"),
    });
    const daemon = new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, "INFO"),
      dryRun: true,
      printDryRun: () => {},
      journalctl: journald.journalctl,
      notifyStatus: async () => undefined,
    });
    await daemon.start();
    try {
      expect(readFileSync(daemonLog, "utf8")).toContain(
        `INFO    [sshd] reading the journal (backend = auto: no file matches logpath ${missing}; journalmatch SYSLOG_IDENTIFIER=sshd)`,
      );
      expect(daemon.jailProblems("sshd")).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 700));
      for (let i = 0; i < 3; i++)
        journald.log("sshd", `Failed password for root from 192.0.2.60 port ${40000 + i} ssh2`);
      await waitFor("the ban", async () => (await daemon.bannedIps("sshd")).includes("192.0.2.60"), daemonLog);
    } finally {
      await daemon.stop();
      rmSync(configDir, { recursive: true, force: true });
    }
  });
});

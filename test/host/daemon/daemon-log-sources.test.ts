// Log sources are watched, not assumed: a jail with nothing to read (no file matches its logpath, journalctl
// missing, a journal with no readable files) logs a WARNING at start and again at every check while it stays so,
// and `status JAIL` says so; when the source comes back the daemon says so and the jail reads it.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { executeCommand } from "../../../host/control/control-commands.js";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { appendFailures, waitFor } from "../support/live-log.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-sources-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The real journalctl, on a journal folder with nothing it can read. */
function emptyJournal(): string {
  const empty = mkdtempSync(join(work, "journal-"));
  mkdirSync(join(empty, "journal"));
  const script = join(empty, "journalctl");
  writeFileSync(script, `#!/bin/sh\nexec journalctl --directory=${empty}/journal "$@"\n`);
  chmodSync(script, 0o755);
  return script;
}

/** A daemon on a one-jail tree, checking sources every second; returns it with its log file. */
async function startDaemon(name: string, jail: string, journalctl?: string) {
  const dir = join(work, name);
  mkdirSync(dir);
  const daemonLog = join(dir, "cloudjail.log");
  writeFileSync(daemonLog, "");
  const configDir = makeConfigDir({
    "fail2ban.conf": `[Definition]\nloglevel = INFO\nlogtarget = ${daemonLog}\nsocket = ${join(dir, "sock")}\npidfile = ${join(dir, "pid")}\ndbfile = ${join(dir, "db.sqlite3")}\n`,
    "jail.conf": `[DEFAULT]\nfindtime = 10m\nmaxretry = 3\naction = dry-run\n\n[watched]\nenabled = true\nfilter = sshd\n${jail}`,
  });
  const settings = readDaemonSettings(configDir);
  const daemon = new Daemon({
    settings,
    log: openDaemonLog(settings.logtarget, settings.loglevel),
    dryRun: true,
    printDryRun: () => {},
    pollIntervalMs: 100,
    sourceCheckIntervalMs: 1000,
    notifyStatus: async () => undefined,
    ...(journalctl ? { journalctl } : {}),
  });
  await daemon.start();
  const warnings = () =>
    readFileSync(daemonLog, "utf8")
      .split("\n")
      .filter((line) => line.includes("WARNING [watched] No readable log source, the jail bans nobody: "));
  return { daemon, daemonLog, dir, configDir, warnings };
}

describe("a jail without a readable log source", () => {
  it("no file matches its logpath: WARNING at start and every check, in status; then read once it appears", async () => {
    const authLog = join(work, "later", "auth.log");
    const { daemon, daemonLog, configDir, warnings } = await startDaemon(
      "missing-file",
      `backend = polling\nlogpath = ${authLog}\n`,
    );
    try {
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]).toContain(`no file matches logpath ${authLog} (checked again every 1 s)`);
      await waitFor("the warning repeated", () => warnings().length >= 2, daemonLog, 5000);
      expect(await executeCommand(daemon, ["status", "watched"])).toContain(
        `Problems\n   \`- WARNING:\tno readable log source: no file matches logpath ${authLog}`,
      );
      mkdirSync(join(work, "later"));
      writeFileSync(authLog, "");
      await waitFor(
        "the source back",
        () => readFileSync(daemonLog, "utf8").includes("INFO    [watched] Log source readable again"),
        daemonLog,
        5000,
      );
      expect(daemon.jailProblems("watched")).toEqual([]);
      appendFailures(authLog, "198.51.100.20", 3);
      await waitFor("the ban", async () => (await daemon.bannedIps("watched")).includes("198.51.100.20"), daemonLog);
    } finally {
      await daemon.stop();
      rmSync(configDir, { recursive: true, force: true });
    }
  });

  it("backend = auto without the file and with an unreadable journal: both said; moves to the file when it appears", async () => {
    const authLog = join(work, "auto-later", "auth.log");
    const { daemon, daemonLog, configDir, warnings } = await startDaemon(
      "auto",
      `logpath = ${authLog}\n`,
      emptyJournal(),
    );
    try {
      expect(readFileSync(daemonLog, "utf8")).toContain(
        `INFO    [watched] reading the journal (backend = auto: no file matches logpath ${authLog};`,
      );
      expect(warnings()[0]).toContain(
        `no file matches logpath ${authLog}, and the journal is unreadable: No journal files were found.`,
      );
      mkdirSync(join(work, "auto-later"));
      writeFileSync(authLog, "");
      await waitFor(
        "the move to the file",
        () => daemon.pipeline("watched").config.source === "files",
        daemonLog,
        5000,
      );
      expect(readFileSync(daemonLog, "utf8")).toContain(
        `INFO    [watched] reading the files of logpath (backend = auto: ${authLog} exists)`,
      );
      appendFailures(authLog, "198.51.100.21", 3);
      await waitFor("the ban", async () => (await daemon.bannedIps("watched")).includes("198.51.100.21"), daemonLog);
      await waitFor("the problem gone", () => daemon.jailProblems("watched").length === 0, daemonLog, 5000);
    } finally {
      await daemon.stop();
      rmSync(configDir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      "journalctl is missing",
      () => join(work, "no-such-bin", "journalctl"),
      /journalctl not found \(.*no-such-bin\/journalctl\): the journal cannot be read/,
    ],
    ["the journal has no readable files", emptyJournal, /the journal is unreadable: No journal files were found/],
  ])("%s: WARNING at start and every check, in status", async (name, journalctl, reason) => {
    const { daemon, daemonLog, configDir, warnings } = await startDaemon(
      name.replace(/\W+/g, "-"),
      "backend = systemd\n",
      journalctl(),
    );
    try {
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]).toMatch(reason);
      await waitFor("the warning repeated", () => warnings().length >= 2, daemonLog, 5000);
      const status = await executeCommand(daemon, ["status", "watched"]);
      expect(status).toContain("Journal matches:");
      expect(status).toMatch(new RegExp(`Problems\\n {3}\`- WARNING:\\tno readable log source: ${reason.source}`));
    } finally {
      await daemon.stop();
      rmSync(configDir, { recursive: true, force: true });
    }
  });
});

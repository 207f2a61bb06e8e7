// Jails fail alone and loudly: a jail that cannot be built (unknown filter, unknown action, bad option, a regex that
// does not compile) is reported at ERROR with file, line, jail and reason, shown in `status` as failed, and told to
// systemd as a degraded daemon, while the good jail next to it runs and bans. A jail whose filter fails on every
// line at run time is reported the same way.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { executeCommand } from "../../../host/control/control-commands.js";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { appendFailures, waitFor } from "../support/live-log.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-jail-failures-"));
const authLog = join(work, "auth.log");
const daemonLog = join(work, "cloudjail.log");
writeFileSync(authLog, "");
writeFileSync(daemonLog, "");
const jailConf = `[DEFAULT]
findtime = 10m
maxretry = 3
action = dry-run
logpath = ${authLog}

[sshd]
enabled = true

[nofilter]
enabled = true
filter = does-not-exist

[noaction]
enabled = true
filter = sshd
action = no-such-action

[badoption]
enabled = true
filter = sshd
maxretry = three

[badregex]
enabled = true
filter = broken
`;
const configDir = makeConfigDir({
  "fail2ban.conf": `[Definition]\nloglevel = INFO\nlogtarget = ${daemonLog}\nsocket = ${join(work, "run", "sock")}\npidfile = ${join(work, "run", "pid")}\ndbfile = ${join(work, "db", "db.sqlite3")}\n`,
  "jail.conf": jailConf,
  "filter.d/broken.conf": "[Definition]\nfailregex = ^Failed password for .* from <HOST>\n",
  "filter.d/broken.local": "[Definition]\nfailregex = ^(unbalanced <HOST>$\n",
});
const jailConfPath = join(configDir, "jail.conf");
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

/** The line of jail.conf where `text` is written (1-based). */
function lineOf(text: string): number {
  return jailConf.split("\n").indexOf(text) + 1;
}

const broken = [
  {
    jail: "nofilter",
    where: `${jailConfPath}:${lineOf("filter = does-not-exist")} [nofilter] filter`,
    reason: /does-not-exist/,
  },
  {
    jail: "noaction",
    where: `${jailConfPath}:${lineOf("action = no-such-action")} [noaction] action`,
    reason: /no-such-action/,
  },
  {
    jail: "badoption",
    where: `${jailConfPath}:${lineOf("maxretry = three")} [badoption] maxretry`,
    reason: /whole number.*'three'/,
  },
  { jail: "badregex", where: "broken.local", reason: /unbalanced|missing \)|unterminated/i },
];

describe("jails that cannot be built", () => {
  it("are reported with file, line, jail and reason, shown in status, told to systemd; the good jail bans", async () => {
    const settings = readDaemonSettings(configDir);
    const statuses: string[] = [];
    const daemon = new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, settings.loglevel),
      dryRun: true,
      printDryRun: () => {},
      pollIntervalMs: 100,
      notifyStatus: async (text) => {
        statuses.push(text);
        return undefined;
      },
    });
    await daemon.start();
    try {
      expect(daemon.jailNames()).toEqual(["sshd"]);
      const logged = readFileSync(daemonLog, "utf8");
      for (const { jail, where, reason } of broken) {
        const line = logged.split("\n").find((text) => text.includes(`ERROR   Jail '${jail}' not started: `));
        expect(line, `${jail} reported`).toBeDefined();
        expect(line).toContain(where);
        expect(line).toMatch(reason);
      }
      const status = await executeCommand(daemon, ["status"]);
      expect(status).toContain("|- Jail list:\tsshd");
      for (const { jail } of broken) expect(status).toMatch(new RegExp(`Failed jails:\\t.*${jail} \\(`));
      await expect(executeCommand(daemon, ["status", "badregex"])).rejects.toThrow(
        /Jail 'badregex' failed: .*broken\.local/,
      );
      expect(statuses).toHaveLength(1);
      expect(statuses[0]).toMatch(
        /^degraded: 1 jail running; nofilter: .* \| noaction: .* \| badoption: .* \| badregex: /,
      );

      appendFailures(authLog, "198.51.100.7", 3);
      await waitFor("the ban of the good jail", async () => (await daemon.bannedIps("sshd")).length === 1, daemonLog);
    } finally {
      await daemon.stop();
    }
  });

  it("no jail at all: a WARNING and a degraded status, nothing is protected", async () => {
    const empty = makeConfigDir({
      "fail2ban.conf": `[Definition]\nlogtarget = ${daemonLog}\nsocket = ${join(work, "empty", "sock")}\npidfile = ${join(work, "empty", "pid")}\ndbfile = :memory:\n`,
      "jail.conf": "[sshd]\nenabled = false\nlogpath = /var/log/auth.log\n",
    });
    const settings = readDaemonSettings(empty);
    const statuses: string[] = [];
    const daemon = new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, settings.loglevel),
      dryRun: true,
      notifyStatus: async (text) => {
        statuses.push(text);
        return undefined;
      },
    });
    await daemon.start();
    try {
      expect(readFileSync(daemonLog, "utf8")).toContain("WARNING No jail is running: nothing is protected");
      expect(statuses).toEqual(["degraded: no jail running, nothing is protected"]);
    } finally {
      await daemon.stop();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("a filter that fails on every line at run time is reported and shown as failing", async () => {
    const settings = readDaemonSettings(configDir);
    const statuses: string[] = [];
    const daemon = new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, settings.loglevel),
      dryRun: true,
      printDryRun: () => {},
      pollIntervalMs: 100,
      jails: ["sshd"],
      // the filter's worker cannot start: every batch of lines fails
      filterWorkerPath: join(work, "no-such-worker.js"),
      sourceCheckIntervalMs: 100,
      notifyStatus: async (text) => {
        statuses.push(text);
        return undefined;
      },
    });
    await daemon.start();
    try {
      appendFailures(authLog, "198.51.100.8", 3);
      await waitFor("the filter error", () => daemon.jailProblems("sshd").length > 0, daemonLog);
      expect(daemon.jailProblems("sshd")[0]).toMatch(/^filter failed on .*auth\.log: /);
      expect(readFileSync(daemonLog, "utf8")).toMatch(/ERROR {3}\[sshd\] filter failed on .*auth\.log/);
      expect(await executeCommand(daemon, ["status", "sshd"])).toMatch(/Problems\n {3}`- WARNING:\tfilter failed on/);
      await waitFor(
        "systemd told",
        () => statuses.some((text) => text.startsWith("degraded: 1 jail running; sshd: filter failed")),
        daemonLog,
      );
      expect(await daemon.bannedIps("sshd")).not.toContain("198.51.100.8");
    } finally {
      await daemon.stop();
    }
  });
});

describe("a jail whose start meets an unexpected database error", () => {
  it("fails alone: ERROR, failed in status (exit code of status JAIL documented), the other jail bans", async () => {
    const dir = join(work, "damaged");
    mkdirSync(dir, { recursive: true });
    const dbfile = join(dir, "db.sqlite3");
    const tree = makeConfigDir({
      "fail2ban.conf": `[Definition]\nloglevel = INFO\nlogtarget = ${daemonLog}\nsocket = ${join(dir, "sock")}\npidfile = ${join(dir, "pid")}\ndbfile = ${dbfile}\n`,
      "jail.conf": `[DEFAULT]\nfindtime = 10m\nmaxretry = 3\naction = dry-run\nlogpath = ${authLog}\n\n[web]\nenabled = true\nfilter = sshd\n\n[sshd]\nenabled = true\n`,
    });
    const settings = readDaemonSettings(tree);
    const options = { settings, dryRun: true, printDryRun: () => {}, pollIntervalMs: 100 };
    // a first run creates the database; then one of web's ban records is damaged (a disk fault, a hand edit)
    const first = new Daemon({ ...options, log: openDaemonLog(settings.logtarget, settings.loglevel) });
    await first.start();
    await first.stop();
    const db = new Database(dbfile);
    db.prepare(
      "INSERT INTO jail_entries (jail, fid, ip, version, ban, ban_active, ban_until) VALUES ('web', ?, ?, 1, ?, 1, ?)",
    ).run("192.0.2.99", "192.0.2.99", '{"time": 1, "until":', Date.now() / 1000 + 3600);
    db.close();

    const statuses: string[] = [];
    const daemon = new Daemon({
      ...options,
      log: openDaemonLog(settings.logtarget, settings.loglevel),
      notifyStatus: async (text) => {
        statuses.push(text);
        return undefined;
      },
    });
    // before: the whole start threw, and no jail protected
    await daemon.start();
    try {
      expect(daemon.jailNames()).toEqual(["sshd"]);
      expect(readFileSync(daemonLog, "utf8")).toMatch(
        new RegExp(
          `ERROR {3}Jail 'web' not started: could not start: its bans in force cannot be read from the database ${dbfile.replace(/[.]/g, "\\.")}: `,
        ),
      );
      expect(await executeCommand(daemon, ["status"])).toMatch(
        /\|- Jail list:\tsshd\n`- Failed jails:\tweb \(could not start: /,
      );
      expect(statuses[0]).toMatch(/^degraded: 1 jail running; web: could not start: /);
      // a reload meets the same record: the jail stays failed, said by the reload's answer; the other jail runs on
      await expect(daemon.reload()).rejects.toThrow(
        /^jail 'web' not reloaded: could not start: its bans in force cannot be read from the database /,
      );
      expect(daemon.jailNames()).toEqual(["sshd"]);
      expect([...daemon.failedJailReasons().keys()]).toEqual(["web"]);
      appendFailures(authLog, "198.51.100.9", 3);
      await waitFor(
        "the ban of the other jail",
        async () => (await daemon.bannedIps("sshd")).includes("198.51.100.9"),
        daemonLog,
      );
    } finally {
      await daemon.stop();
      rmSync(tree, { recursive: true, force: true });
    }
  });
});

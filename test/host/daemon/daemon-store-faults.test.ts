// No failure lost to a database fault. A real SQLite file held locked by another connection longer than the busy
// timeout: the failures are held and recorded once the lock goes (every one, once). A corrupt file (not a database at
// all, or a database whose pages are garbage): moved aside with an ERROR, a fresh database started, the jail's
// actions never stopped, and banning goes on.
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { appendFailures, waitFor as waitForDaemon } from "../support/live-log.js";
import { sshdDaemonTree } from "../support/sshd-daemon-tree.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-store-faults-"));
const configDirs: string[] = [];
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  for (const dir of configDirs) rmSync(dir, { recursive: true, force: true });
});

/** A daemon on its own folder (config, auth.log, database), with dry-run actions whose scripts land in `printed`. */
function setUp(name: string) {
  const { dir, authLog, daemonLog, dbfile, configDir } = sshdDaemonTree(work, name);
  configDirs.push(configDir);
  const printed: string[] = [];
  const newDaemon = (storeHoldMs = 100) => {
    const settings = readDaemonSettings(configDir);
    return new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, settings.loglevel),
      dryRun: true,
      printDryRun: (_jail, text) => printed.push(text),
      pollIntervalMs: 50,
      storeRetry: { busyTimeoutMs: 50, attempts: 3, firstDelayMs: 20 },
      storeHoldMs,
    });
  };
  const logText = () => readFileSync(daemonLog, "utf8");
  const waitFor = (what: string, predicate: () => boolean | Promise<boolean>) =>
    waitForDaemon(what, predicate, daemonLog, 15_000);
  return { dir, authLog, dbfile, printed, newDaemon, logText, waitFor };
}

/** What the dry-run actions did, in short: started, stopped, ban <ip>. */
function summarise(printed: readonly string[]): string[] {
  return printed.map((text) => {
    if (text.includes("jail %s started")) return "started";
    if (text.includes("jail %s stopped")) return "stopped";
    const ips = [...text.matchAll(/CJ_IPS?="([^"]*)"/g)].map((m) => m[1]).join(" ");
    return text.includes("dry-run: unban") ? `unban ${ips}` : `ban ${ips}`;
  });
}

describe("database faults", () => {
  it("holds the failures while another connection keeps the database locked, and records each once after", async () => {
    const { authLog, dbfile, newDaemon, logText, waitFor } = setUp("locked");
    const daemon = newDaemon();
    await daemon.start();
    const other = new Database(dbfile);
    try {
      other.exec("BEGIN EXCLUSIVE");
      appendFailures(authLog, "192.0.2.31", 3);
      // held, and tried again (each try outlasts the busy timeout and the bounded retries)
      await waitFor("the failure held twice", () => (logText().match(/is held, tried again/g)?.length ?? 0) >= 2);
      expect(logText()).toMatch(/ ERROR +\[sshd\] the database .* stays locked by another process/);
      expect(await daemon.bannedIps("sshd")).toEqual([]);
      other.exec("COMMIT");
      await waitFor("the ban", async () => (await daemon.bannedIps("sshd")).length === 1);
      expect(await daemon.bannedIps("sshd")).toEqual(["192.0.2.31"]);
      expect(logText().match(/Found 192\.0\.2\.31/g)).toHaveLength(3);
      expect(daemon.pipeline("sshd").stats).toMatchObject({ totalFailed: 3, totalBanned: 1 });
    } finally {
      other.close();
      await daemon.stop();
    }
  }, 30_000);

  it("stops at once while a failure is held on a locked database", async () => {
    const { authLog, dbfile, newDaemon, logText, waitFor } = setUp("locked-stop");
    const daemon = newDaemon(60_000);
    await daemon.start();
    const other = new Database(dbfile);
    try {
      other.exec("BEGIN EXCLUSIVE");
      appendFailures(authLog, "192.0.2.32", 1);
      await waitFor("the failure held", () => logText().includes("is held, tried again in 60 s"));
      const stopped = await Promise.race([
        daemon.stop().then(() => "stopped"),
        new Promise((resolve) => setTimeout(() => resolve("still waiting"), 5000)),
      ]);
      expect(stopped).toBe("stopped");
    } finally {
      other.exec("ROLLBACK");
      other.close();
      await daemon.stop();
    }
  }, 30_000);

  const corruptions: { name: string; corrupt: (dbfile: string) => void }[] = [
    { name: "a file that is no database", corrupt: (dbfile) => writeFileSync(dbfile, "not a database\n".repeat(500)) },
    {
      name: "a database whose pages are garbage",
      corrupt: (dbfile) => {
        // the header and schema (page 1) stay; the table and index pages after them are overwritten
        const fd = openSync(dbfile, "r+");
        writeSync(fd, Buffer.alloc(4096 * 8, 0x41), 0, 4096 * 8, 4096);
        closeSync(fd);
      },
    },
  ];

  it.each(corruptions)(
    "moves $name aside, starts a fresh one, keeps the actions and bans on",
    async ({ name, corrupt }) => {
      const { dir, authLog, dbfile, printed, newDaemon, logText, waitFor } = setUp(name.replace(/\W+/g, "-"));
      const first = newDaemon();
      await first.start();
      appendFailures(authLog, "192.0.2.41", 3);
      await waitFor("the first ban", async () => (await first.bannedIps("sshd")).length === 1);
      await first.stop();
      corrupt(dbfile);

      printed.length = 0;
      const daemon = newDaemon();
      await daemon.start();
      try {
        expect(logText()).toMatch(/ ERROR +The database .*cloudjail\.sqlite3 is corrupt \(.*\): moved to .*\.corrupt-/);
        const aside = readdirSync(dir).filter((file) => /^cloudjail\.sqlite3\.corrupt-[\d-TZ]+$/.test(file));
        expect(aside).toHaveLength(1);
        appendFailures(authLog, "192.0.2.42", 3);
        await waitFor("the ban after the fault", async () => (await daemon.bannedIps("sshd")).includes("192.0.2.42"));
        // the lines read again (findtime back) ban both addresses of the log, in one batch
        await waitFor("the dry-run ban", () =>
          summarise(printed).some((step) => step.startsWith("ban ") && step.split(" ").includes("192.0.2.42")),
        );
        // the actions started once and were never stopped: the firewall was not torn down
        expect(summarise(printed).filter((step) => step === "started" || step === "stopped")).toEqual(["started"]);
      } finally {
        await daemon.stop();
      }
    },
    30_000,
  );

  it("replaces a database that goes corrupt under a running daemon, keeps its bans in the firewall and the store", async () => {
    const { authLog, dbfile, printed, newDaemon, logText, waitFor } = setUp("corrupt-while-running");
    const daemon = newDaemon();
    await daemon.start();
    try {
      appendFailures(authLog, "192.0.2.51", 3);
      await waitFor("the first ban", () => summarise(printed).includes("ban 192.0.2.51"));
      // the pages of the jail table go bad on disk; another connection's write makes the daemon read them again
      const other = new Database(dbfile);
      other.pragma("wal_checkpoint(TRUNCATE)");
      const fd = openSync(dbfile, "r+");
      writeSync(fd, Buffer.alloc(4096 * 8, 0x41), 0, 4096 * 8, 4096);
      closeSync(fd);
      other.exec("CREATE TABLE unrelated (a TEXT)");
      other.close();

      appendFailures(authLog, "192.0.2.52", 3);
      await waitFor("the ban after the fault", () => summarise(printed).includes("ban 192.0.2.52"));
      expect(logText()).toMatch(/ ERROR +The database .* is corrupt \(database disk image is malformed\): moved to /);
      await waitFor("the firewall's ban recorded again", () => logText().includes("1 bans in force recorded"));
      expect((await daemon.bannedIps("sshd")).sort()).toEqual(["192.0.2.51", "192.0.2.52"]);
      // no stop, no unban: the firewall kept its ban throughout
      expect(summarise(printed)).toEqual(["started", "ban 192.0.2.51", "ban 192.0.2.52"]);
    } finally {
      await daemon.stop();
    }
  }, 30_000);
});

describe("a damaged ban record", () => {
  it("is skipped by ban expiry with one ERROR naming it and what to do; the other bans still end", async () => {
    const { dbfile, newDaemon, logText, waitFor } = setUp("damaged-record");
    // a first run creates the database
    const first = newDaemon();
    await first.start();
    await first.stop();
    const now = Date.now() / 1000;
    const db = new Database(dbfile);
    const insert = db.prepare(
      "INSERT INTO jail_entries (jail, fid, ip, version, ban, ban_active, ban_until) VALUES ('sshd', ?, ?, 1, ?, 1, ?)",
    );
    // both bans are due; the first record's JSON is cut short (a disk fault, a hand edit)
    insert.run("192.0.2.40", "192.0.2.40", '{"time": 1, "until":', now - 10);
    const ban = { time: now - 70, banTime: 60, until: now - 10, count: 1, failures: 3, matches: [], active: true };
    insert.run("192.0.2.41", "192.0.2.41", JSON.stringify(ban), now - 10);
    db.close();

    const daemon = newDaemon();
    await daemon.start();
    try {
      // before: every expiry run failed on the damaged row, and no ban of any jail ended
      await waitFor("the other ban's end", () => logText().includes("[sshd] Unban 192.0.2.41"));
      // expiry runs every second: the later runs skip the row without saying it again
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const errors = logText().match(/ERROR .*the record of 192\.0\.2\.40 in jail sshd cannot be read: .*/g) ?? [];
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("Ban expiry skips it and goes on with the other bans; 192.0.2.40 stays banned");
      expect(errors[0]).toContain(`DELETE FROM jail_entries WHERE jail = 'sshd' AND fid = '192.0.2.40'`);
      expect(logText()).not.toContain("ban expiry failed");
    } finally {
      await daemon.stop();
    }
  }, 30_000);
});

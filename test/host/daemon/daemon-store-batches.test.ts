// The daemon writes its database in batches: the failures of a slice of lines cost one SQLite transaction, not one
// each. Counted with the real SQLite store's calls. A ban decided just before a stop is in the database after it,
// and another process writing the daemon's rows behind its back is reported, never overwritten silently.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { makeJailPolicy } from "../../../shared/jail/jail-policy.js";
import { JailRunner } from "../../../shared/jail/jail-runner.js";
import { SqliteStore } from "../../../shared/store/sqlite-store.js";
import { appendFailures, waitFor as waitForDaemon } from "../support/live-log.js";
import { sshdDaemonTree } from "../support/sshd-daemon-tree.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-store-batches-"));
const configDirs: string[] = [];
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  for (const dir of configDirs) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

/** A daemon on its own folder (config, auth.log, database, its log file), dry-run actions. */
function setUp(name: string, once = false) {
  const { authLog, daemonLog, dbfile, configDir } = sshdDaemonTree(work, name, "ignoreself = false\n");
  configDirs.push(configDir);
  const newDaemon = () => {
    const settings = readDaemonSettings(configDir);
    return new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, settings.loglevel),
      dryRun: true,
      printDryRun: () => {},
      pollIntervalMs: 50,
      once,
      storeRetry: { busyTimeoutMs: 50, attempts: 3, firstDelayMs: 20 },
      storeHoldMs: 100,
    });
  };
  const logText = () => readFileSync(daemonLog, "utf8");
  const waitFor = (what: string, predicate: () => boolean | Promise<boolean>) =>
    waitForDaemon(what, predicate, daemonLog, 15_000);
  /** The bans in force in the database, read by another connection. */
  const bansInDatabase = async () => {
    const other = new SqliteStore(dbfile);
    try {
      return (await other.activeBans(Date.now() / 1000)).map(({ entry }) => entry.fid).sort();
    } finally {
      await other.close();
    }
  };
  return { authLog, dbfile, newDaemon, logText, waitFor, bansInDatabase };
}

const flooder = (i: number) => `10.2.${i >> 8}.${i & 255}`;

describe("the daemon's database writes", () => {
  it.each([10, 300, 1000])(
    "%i addresses failing 3 times each in one read cost a bounded number of transactions, no write of their own",
    async (addresses) => {
      const { authLog, newDaemon, logText, bansInDatabase } = setUp(`once-${addresses}`, true);
      // three rounds: every address reaches maxretry in the third
      for (let round = 0; round < 3; round++) {
        for (let n = 0; n < addresses; n++) appendFailures(authLog, flooder(n), 1);
      }
      const puts = vi.spyOn(SqliteStore.prototype, "put");
      const batches = vi.spyOn(SqliteStore.prototype, "writeBatch");
      const daemon = newDaemon();
      await daemon.start();
      try {
        await daemon.runOnce();
      } finally {
        await daemon.stop();
      }
      expect(logText()).not.toMatch(/ ERROR /);
      expect(logText().match(/ Ban /g)).toHaveLength(addresses);
      expect(puts).not.toHaveBeenCalled();
      // one per slice of lines (5,000) plus what the 50 ms timer wrote meanwhile: never one per failure
      const lines = 3 * addresses;
      expect(batches.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(batches.mock.calls.length).toBeLessThanOrEqual(Math.max(3, Math.ceil(lines / 1000)));
      expect(batches.mock.calls.flatMap(([writes]) => writes).length).toBeLessThanOrEqual(lines);
      expect(await bansInDatabase()).toEqual(Array.from({ length: addresses }, (_, n) => flooder(n)).sort());
    },
    60_000,
  );

  it("a ban decided right before a stop is in the database after it", async () => {
    const { authLog, newDaemon, logText, waitFor, bansInDatabase } = setUp("stop-right-after");
    const daemon = newDaemon();
    await daemon.start();
    let stopped = false;
    try {
      appendFailures(authLog, "192.0.2.61", 3);
      await waitFor("the ban", () => logText().includes("Ban 192.0.2.61"));
      // a ban by hand is only in memory until the next write: the stop writes it
      await daemon.banIp("sshd", "192.0.2.62");
      await daemon.stop();
      stopped = true;
    } finally {
      if (!stopped) await daemon.stop();
    }
    expect(await bansInDatabase()).toEqual(["192.0.2.61", "192.0.2.62"]);
    expect(logText()).not.toMatch(/ ERROR /);
  }, 30_000);

  it("shows in status the changes it cannot write while the database is locked, and writes them after", async () => {
    const { authLog, dbfile, newDaemon, logText, waitFor, bansInDatabase } = setUp("locked-status");
    const daemon = newDaemon();
    await daemon.start();
    const other = new Database(dbfile);
    try {
      other.exec("BEGIN EXCLUSIVE");
      appendFailures(authLog, "192.0.2.81", 3);
      await waitFor("the record held", () => logText().includes("the record of 3 failures is held, tried again"));
      expect(daemon.jailProblems("sshd")).toEqual([
        expect.stringMatching(
          /^1 changes to failures and bans not written to the database yet: the database .* stays locked/,
        ),
      ]);
      // decided, not enforced: a ban reaches the firewall only once it is recorded
      expect(daemon.pipeline("sshd").enforcer.wantedIps()).toEqual([]);
      other.exec("COMMIT");
      await waitFor("the ban enforced", () => daemon.pipeline("sshd").enforcer.wantedIps().includes("192.0.2.81"));
      expect(daemon.jailProblems("sshd")).toEqual([]);
      expect(await bansInDatabase()).toEqual(["192.0.2.81"]);
    } finally {
      other.close();
      await daemon.stop();
    }
  }, 30_000);

  it("enforces its bans and says so while the disk is full, and writes them once it can", async () => {
    const { authLog, newDaemon, logText, waitFor, bansInDatabase } = setUp("disk-full");
    const daemon = newDaemon();
    await daemon.start();
    try {
      // A real SQLITE_FULL: the daemon's own connection may not grow the database file any more.
      const connection = (daemon as unknown as { store: { inner: { inner: { db: Database.Database } } } }).store.inner
        .inner.db;
      connection.pragma(`max_page_count = ${Number(connection.pragma("page_count", { simple: true }))}`);
      const attackers = Array.from({ length: 200 }, (_, n) => flooder(n));
      for (let round = 0; round < 3; round++) for (const ip of attackers) appendFailures(authLog, ip, 1);
      await waitFor("the write failure reported", () =>
        / ERROR +\[sshd\] the decisions of \d+ failures are not in the database yet, the bans are enforced: database or disk is full/.test(
          logText(),
        ),
      );
      expect(logText()).toMatch(/ ERROR +\d+ changes to failures and bans are not written to the database yet/);
      // protection first: the bans reach the firewall; status says what is not written
      await waitFor("the bans enforced", () => daemon.pipeline("sshd").enforcer.wantedIps().length === 200);
      expect(daemon.jailProblems("sshd")).toEqual([
        expect.stringMatching(/changes to failures and bans not written to the database yet: database or disk is full/),
      ]);
      connection.pragma("max_page_count = 1073741823");
      await waitFor("the changes written", () => daemon.jailProblems("sshd").length === 0);
      expect(await bansInDatabase()).toEqual([...attackers].sort());
    } finally {
      await daemon.stop();
    }
  }, 60_000);

  it("reports an entry another process changed behind the daemon's back, and keeps that process's change", async () => {
    const { authLog, dbfile, newDaemon, logText, waitFor, bansInDatabase } = setUp("other-writer");
    const daemon = newDaemon();
    await daemon.start();
    try {
      appendFailures(authLog, "192.0.2.71", 2);
      await waitFor("two failures written", async () => {
        const other = new SqliteStore(dbfile);
        try {
          return (await other.get("sshd", "192.0.2.71"))?.entry.window?.attempts === 2;
        } finally {
          await other.close();
        }
      });
      // another process (against the rules: one daemon per database) bans the address by hand
      const other = new SqliteStore(dbfile);
      try {
        const runner = new JailRunner({ store: other, jails: [makeJailPolicy("sshd", {})] });
        expect(await runner.ban("sshd", "192.0.2.71", Date.now() / 1000)).toBeDefined();
      } finally {
        await other.close();
      }
      // the daemon counts the third failure from what it read: its write finds the row changed
      appendFailures(authLog, "192.0.2.71", 1);
      await waitFor("the conflict reported", () =>
        /ERROR +the entry of 192\.0\.2\.71 in jail sshd was changed in the database by another process/.test(logText()),
      );
      // the other process's ban stands in the database (not overwritten), and the daemon enforces it
      expect(await bansInDatabase()).toEqual(["192.0.2.71"]);
      await waitFor("the ban enforced", async () => (await daemon.bannedIps("sshd")).includes("192.0.2.71"));
    } finally {
      await daemon.stop();
    }
  }, 30_000);
});

// The daemon's write-behind store over a real SQLite file: entries read once, changes written in one transaction per
// flush, queries exact, memory bounded, and every way a change could be lost said out loud (a locked database keeps
// the changes and reports; another process's change is never overwritten).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { ResilientStore, StoreBusyError } from "../../../host/daemon/resilient-store.js";
import { WriteBehindStore } from "../../../host/daemon/write-behind-store.js";
import { SqliteStore } from "../../../shared/store/sqlite-store.js";
import type { JailEntry } from "../../../shared/store/store.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-write-behind-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

let files = 0;
const opened: WriteBehindStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

/** A write-behind store on a fresh database file, its reported errors, and a second connection to the same file. */
async function setUp(options: { maxEntries?: number; maxDirty?: number } = {}) {
  const path = join(work, `db-${++files}.sqlite3`);
  const errors: string[] = [];
  const database = await ResilientStore.open(path, {
    error: (message) => errors.push(message),
    busyTimeoutMs: 20,
    attempts: 2,
    firstDelayMs: 10,
  });
  // a long interval: the tests say when to write
  const store = new WriteBehindStore(database, {
    error: (message) => errors.push(message),
    flushIntervalMs: 60_000,
    ...options,
  });
  opened.push(store);
  return { path, store, database, errors };
}

const entry = (fid: string, ban?: { time: number; until: number }): JailEntry => ({
  jail: "sshd",
  fid,
  ip: fid,
  window: { firstTime: 100, lastTime: 100, retry: 1, attempts: 1, events: [], matches: [] },
  ...(ban
    ? {
        ban: {
          time: ban.time,
          banTime: ban.until - ban.time,
          until: ban.until,
          count: 1,
          failures: 3,
          matches: [],
          active: true,
        },
      }
    : {}),
  expiresAt: 10_000,
});
const address = (n: number) => `198.51.${n >> 8}.${n & 255}`;

describe("write-behind store", () => {
  it.each([1, 10, 1000])("writes %i changed entries in one transaction, none before it is asked", async (count) => {
    const { path, store, database } = await setUp();
    const puts = vi.spyOn(SqliteStore.prototype, "put");
    for (let n = 0; n < count; n++) {
      // three changes per entry, as three failures of one address
      let version: number | null = null;
      for (let change = 0; change < 3; change++) {
        const stored = await store.get("sshd", address(n));
        expect(stored?.version ?? null).toBe(version);
        version = (await store.put(entry(address(n)), version)) ?? null;
        expect(version).toBe(change + 1);
      }
    }
    const other = new SqliteStore(path);
    try {
      expect(await other.get("sshd", address(0))).toBeUndefined();
      expect(store.pending).toBe(count);
      await store.flush();
      expect(puts).not.toHaveBeenCalled();
      expect(database.transactions).toBe(1);
      expect(store.pending).toBe(0);
      // the database holds what the daemon decided, with the version the daemon's readers saw
      expect((await other.get("sshd", address(count - 1)))?.version).toBe(3);
      expect((await other.activeBans(0)).length).toBe(0);
      // nothing left: a second flush writes nothing
      await store.flush();
      expect(database.transactions).toBe(1);
    } finally {
      await other.close();
    }
  });

  it("reads SQLite once per entry, then answers from memory", async () => {
    const { store } = await setUp();
    const gets = vi.spyOn(SqliteStore.prototype, "get");
    for (let round = 0; round < 5; round++) for (let n = 0; n < 20; n++) await store.get("sshd", address(n));
    expect(gets).toHaveBeenCalledTimes(20);
  });

  it("writes its changes before a query, so that bans in force, due bans and other jails' entries are exact", async () => {
    const { store } = await setUp();
    await store.put(entry("192.0.2.1", { time: 100, until: 200 }), null);
    await store.put(entry("192.0.2.2", { time: 100, until: 900 }), null);
    expect((await store.activeBans(150)).map(({ entry }) => entry.fid)).toEqual(["192.0.2.1", "192.0.2.2"]);
    expect((await store.dueBans(300)).map(({ entry }) => entry.fid)).toEqual(["192.0.2.1"]);
    expect((await store.listByFid("192.0.2.2")).map(({ version }) => version)).toEqual([1]);
  });

  it("keeps at most maxEntries unchanged entries, and never forgets a change not written", async () => {
    const { store } = await setUp({ maxEntries: 100 });
    for (let n = 0; n < 1000; n++) await store.get("sshd", address(n));
    expect(store.size).toBeLessThanOrEqual(100);
    // changes beyond the bound stay until written
    for (let n = 0; n < 150; n++) await store.put(entry(address(5000 + n)), null);
    expect(store.pending).toBe(150);
    expect(store.size).toBeGreaterThanOrEqual(150);
    await store.flush();
    expect(store.pending).toBe(0);
    await store.get("sshd", "192.0.2.9");
    expect(store.size).toBeLessThanOrEqual(100);
  });

  it("writes once maxDirty changes wait, from within put", async () => {
    const { store, database } = await setUp({ maxDirty: 10 });
    for (let n = 0; n < 25; n++) await store.put(entry(address(n)), null);
    expect(database.transactions).toBe(2);
    expect(store.pending).toBe(5);
  });

  it("forgets purged entries with the rows, so that the next change inserts a new one", async () => {
    const { store } = await setUp();
    await store.put({ ...entry("192.0.2.7"), expiresAt: 500 }, null);
    expect(await store.purge(600)).toBe(1);
    expect(await store.get("sshd", "192.0.2.7")).toBeUndefined();
    expect(await store.put(entry("192.0.2.7"), null)).toBe(1);
    await store.flush();
    expect((await store.listByFid("192.0.2.7")).map(({ version }) => version)).toEqual([1]);
  });

  it("keeps and reports its changes while another connection holds the database locked, writes them after", async () => {
    const { path, store, errors } = await setUp();
    await store.put(entry("192.0.2.3", { time: 100, until: 900 }), null);
    const other = new Database(path);
    try {
      other.exec("BEGIN EXCLUSIVE");
      await expect(store.flush()).rejects.toThrow(StoreBusyError);
      expect(errors).toEqual([
        expect.stringMatching(/^1 changes to failures and bans are not written to the database yet \(kept in memory/),
      ]);
      expect(store.failing).toMatch(/stays locked by another process/);
      expect(store.pending).toBe(1);
      // a query still answers, from what is written, and the failed write is reported once more
      expect(await store.activeBans(150)).toEqual([]);
      expect(errors).toHaveLength(2);
      other.exec("COMMIT");
      await store.flush();
      expect(store.failing).toBeUndefined();
      expect((await store.activeBans(150)).map(({ entry }) => entry.fid)).toEqual(["192.0.2.3"]);
    } finally {
      other.close();
    }
  });

  it("reports an entry changed by another process, keeps that process's change and reads it again", async () => {
    const { path, store, errors } = await setUp();
    await store.put(entry("192.0.2.4"), null);
    await store.flush();
    // another process bans the address behind the daemon's back
    const other = new SqliteStore(path);
    try {
      const theirs = entry("192.0.2.4", { time: 100, until: 5000 });
      expect(await other.put(theirs, 1)).toBe(2);
      // the daemon, from what it read, counts one more failure
      expect(await store.put({ ...entry("192.0.2.4"), expiresAt: 7777 }, 1)).toBe(2);
      await store.flush();
      expect(errors).toEqual([
        "the entry of 192.0.2.4 in jail sshd was changed in the database by another process: the daemon's change " +
          "is dropped, the entry is read again from the database (one daemon per database)",
      ]);
      expect(store.conflicts).toBe(1);
      expect(await store.get("sshd", "192.0.2.4")).toEqual({ entry: theirs, version: 2 });
      expect((await other.get("sshd", "192.0.2.4"))?.entry.expiresAt).toBe(10_000);
    } finally {
      await other.close();
    }
  });

  it("writes what is left when it closes", async () => {
    const { path, store } = await setUp();
    await store.put(entry("192.0.2.5", { time: 100, until: 900 }), null);
    await store.close();
    opened.splice(opened.indexOf(store), 1);
    const other = new SqliteStore(path);
    try {
      expect((await other.activeBans(150)).map(({ entry }) => entry.fid)).toEqual(["192.0.2.5"]);
    } finally {
      await other.close();
    }
  });
});

describe("write-behind store on a full disk", () => {
  it("keeps and reports its changes while SQLite cannot grow the file, writes them once it can", async () => {
    // A real SQLITE_FULL: the connection may not grow the database past its current pages.
    const path = join(work, `full-${++files}.sqlite3`);
    const sqlite = new SqliteStore(path);
    const connection = (sqlite as unknown as { db: Database.Database }).db;
    const errors: string[] = [];
    const store = new WriteBehindStore(Object.assign(sqlite, { generation: 0 }), {
      error: (message) => errors.push(message),
      flushIntervalMs: 60_000,
    });
    opened.push(store);
    const pages = Number(connection.pragma("page_count", { simple: true }));
    connection.pragma(`max_page_count = ${pages}`);
    for (let n = 0; n < 500; n++) await store.put(entry(address(n), { time: 100, until: 900 }), null);
    await expect(store.flush()).rejects.toThrow(/full/);
    expect(errors).toEqual([
      expect.stringMatching(/^500 changes to failures and bans are not written to the database yet/),
    ]);
    expect(store.failing).toMatch(/full/);
    expect(store.pending).toBe(500);
    // the transaction was rolled back whole: nothing half written
    connection.pragma("max_page_count = 1073741823");
    expect(await sqlite.activeBans(150)).toEqual([]);
    await store.flush();
    expect(store.failing).toBeUndefined();
    expect((await store.activeBans(150)).length).toBe(500);
  });
});

// The daemon's store: the SQLite store, kept working through the faults a host meets. A database locked by another
// process (a backup, an admin's sqlite3 shell) is waited for in short steps with a growing delay, the event loop free
// in between; past the bound the caller gets a StoreBusyError and keeps what it wanted to write (the jail pipeline
// holds the failure and tries again, see JailPipeline). A corrupt file is moved aside with a loud error and a fresh
// database started in its place, without a restart and without touching the firewall: protection goes on, and the
// bans the firewall holds are recorded again (onReplaced).
import { existsSync, renameSync } from "node:fs";
import { CloudjailError } from "../../shared/errors.js";
import { type BatchWrite, type DamagedEntryError, SqliteStore } from "../../shared/store/sqlite-store.js";
import type { JailEntry, Store, StoreCounters, StoredEntry } from "../../shared/store/store.js";

/** The database stayed locked by another connection for longer than the retries allow. */
export class StoreBusyError extends CloudjailError {
  override name = "StoreBusyError";
}

/** Timing of the retries on a locked database; the defaults suit a daemon. */
export interface StoreRetry {
  /** How long one statement waits inside SQLite (blocking the thread). Default 250 ms. */
  readonly busyTimeoutMs?: number;
  /** Tries per operation before StoreBusyError. Default 8 (about 8 s with the delays below and the busy timeout). */
  readonly attempts?: number;
  /** Delay after the first failed try, doubled each time up to 5 s. Default 50 ms. */
  readonly firstDelayMs?: number;
}

/** What the store tells the daemon. */
export interface ResilientStoreOptions extends StoreRetry {
  readonly error: (message: string) => void;
  /** A corrupt database was replaced by an empty one: the daemon records the bans in force again. */
  readonly onReplaced?: () => Promise<void>;
}

type Fault = "busy" | "corrupt" | undefined;

/** The SQLite error code of `error` or of its cause (SqliteStore wraps the errors of opening). */
function faultOf(error: unknown): Fault {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "busy";
    if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") return "corrupt";
  }
  return undefined;
}

/** A Store over a SQLite file that survives a locked or corrupt database. */
export class ResilientStore implements Store {
  readonly kind = "sqlite";
  private inner: SqliteStore;
  private readonly attempts: number;
  private readonly firstDelayMs: number;
  /** Damaged rows already reported (jail and failure id): ban expiry runs every second, the ERROR once per row. */
  private readonly damagedReported = new Set<string>();
  /** How many times a corrupt database was replaced by a fresh one: versions read before are void. */
  generation = 0;

  private constructor(
    readonly path: string,
    inner: SqliteStore,
    private readonly options: ResilientStoreOptions,
  ) {
    this.inner = inner;
    this.attempts = options.attempts ?? 8;
    this.firstDelayMs = options.firstDelayMs ?? 50;
  }

  /** Opens the database at `path`, waiting out a lock and replacing a corrupt file as the operations do. */
  static async open(path: string, options: ResilientStoreOptions): Promise<ResilientStore> {
    const store = new ResilientStore(path, undefined as unknown as SqliteStore, options);
    // the operation itself opens the new file after a corrupt one was moved aside
    store.inner = await store.retry(
      "open",
      async () => store.openInner(),
      () => {},
    );
    return store;
  }

  get(jail: string, fid: string): Promise<StoredEntry | undefined> {
    return this.run("read", (store) => store.get(jail, fid));
  }

  listByFid(fid: string): Promise<StoredEntry[]> {
    return this.run("read", (store) => store.listByFid(fid));
  }

  put(entry: JailEntry, expectedVersion: number | null): Promise<number | undefined> {
    return this.run("write", (store) => store.put(entry, expectedVersion));
  }

  /**
   * Writes `writes` in one transaction (see SqliteStore.writeBatch). When the database is replaced during the call
   * the rows the versions referred to are gone: the entries are inserted into the fresh one instead.
   */
  writeBatch(writes: readonly BatchWrite[]): Promise<boolean[]> {
    const generation = this.generation;
    return this.run("write", (store) =>
      store.writeBatch(
        this.generation === generation ? writes : writes.map((write) => ({ ...write, expectedVersion: null })),
      ),
    );
  }

  /** Write transactions committed by writeBatch on the current database. */
  get transactions(): number {
    return this.inner.transactions;
  }

  activeBans(now: number, jail?: string): Promise<StoredEntry[]> {
    return this.run("read", (store) => store.activeBans(now, jail));
  }

  dueBans(now: number): Promise<StoredEntry[]> {
    return this.run("read", (store) => store.dueBans(now));
  }

  purge(now: number): Promise<number> {
    return this.run("purge", (store) => store.purge(now));
  }

  counters(): StoreCounters {
    return this.inner.counters();
  }

  resetCounters(): void {
    this.inner.resetCounters();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private openInner(): SqliteStore {
    return new SqliteStore(this.path, {
      busyTimeoutMs: this.options.busyTimeoutMs ?? 250,
      onDamagedEntry: (error) => this.reportDamaged(error),
    });
  }

  /** A damaged ban record is skipped by ban expiry (the other bans still end) and said once, with what to do. */
  private reportDamaged(error: DamagedEntryError): void {
    const key = `${error.jail}\u0000${error.fid}`;
    if (this.damagedReported.has(key)) return;
    this.damagedReported.add(key);
    this.options.error(
      `${error.message}. Ban expiry skips it and goes on with the other bans; ${error.ip} stays banned by jail ` +
        `${error.jail} until the record is deleted (sqlite3 ${this.path} "DELETE FROM jail_entries WHERE jail = ` +
        `'${error.jail}' AND fid = '${error.fid}'") and the jail reloaded.`,
    );
  }

  private run<T>(what: string, operation: (store: SqliteStore) => Promise<T>): Promise<T> {
    return this.retry(
      what,
      () => operation(this.inner),
      () => {
        this.inner = this.openInner();
      },
    );
  }

  /**
   * Runs `operation`; on a lock waits and tries again (bounded), on corruption moves the file aside, calls `fresh`
   * (which opens the new database) and tries once more.
   */
  private async retry<T>(what: string, operation: () => Promise<T>, fresh: () => unknown): Promise<T> {
    let delay = this.firstDelayMs;
    let replaced = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        const fault = faultOf(error);
        if (fault === "corrupt" && !replaced && this.path !== ":memory:") {
          replaced = true;
          await this.inner?.close().catch(() => {});
          this.moveAside(error as Error);
          fresh();
          this.generation++;
          if (this.options.onReplaced) void this.options.onReplaced().catch(() => {});
          continue;
        }
        if (fault !== "busy") throw error;
        if (attempt >= this.attempts) {
          throw new StoreBusyError(
            `the database ${this.path} stays locked by another process (${what}, ${attempt} tries): ` +
              `${(error as Error).message}`,
            { cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private moveAside(error: Error): void {
    const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    renameSync(this.path, aside);
    // the write-ahead log and its index belong to the old file: kept beside it, never applied to the new one
    for (const suffix of ["-wal", "-shm"]) {
      if (existsSync(this.path + suffix)) renameSync(this.path + suffix, aside + suffix);
    }
    this.options.error(
      `The database ${this.path} is corrupt (${error.message}): moved to ${aside} and a new one started. The bans ` +
        "in the firewall stay and are recorded again; the counts of recent failures and the ban history are lost.",
    );
  }
}

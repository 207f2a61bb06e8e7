import Database from "better-sqlite3";
import { CloudjailError } from "../errors.js";
import {
  type BanState,
  type FailureWindow,
  type JailEntry,
  PERMANENT_UNTIL,
  RequestCounters,
  type Store,
  type StoreCounters,
  type StoredEntry,
} from "./store.js";

/**
 * The embedded store (host mode, local runs, replays): one SQLite file, opened in WAL mode so that a reader (the
 * client asking for status) never blocks the daemon, and several processes may share it. Active bans survive a
 * restart because they are rows like any other: a new `SqliteStore` on the same path sees them.
 *
 * Layout: one row per (jail, fid). The counting window and the latest ban are JSON columns; `ban_active` and
 * `ban_until` are copied out of the ban so that the active-ban queries use an index. Compare-and-set is an
 * `UPDATE ... WHERE version = ?` (or an `INSERT` that fails on the primary key), checked through `changes`.
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  private readonly db: Database.Database;
  private readonly requests = new RequestCounters();
  private readonly statements;

  /**
   * Opens (and creates when missing) the database at `path`; ":memory:" gives a private in-memory store.
   * `busyTimeoutMs` is how long one statement waits for another connection's lock (SQLite blocks the thread
   * meanwhile; the daemon keeps it short and retries itself, see host/daemon/resilient-store.ts).
   */
  /** Told of each row `dueBans` skipped because it cannot be read (see {@link DamagedEntryError}). */
  private readonly onDamagedEntry: ((error: DamagedEntryError) => void) | undefined;

  constructor(
    readonly path: string,
    options: { readonly busyTimeoutMs?: number; readonly onDamagedEntry?: (error: DamagedEntryError) => void } = {},
  ) {
    this.onDamagedEntry = options.onDamagedEntry;
    try {
      this.db = new Database(path);
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.db.exec(SCHEMA);
    } catch (error) {
      throw new CloudjailError(`cannot open the SQLite store at ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.statements = {
      get: this.db.prepare<[string, string], Row>("SELECT * FROM jail_entries WHERE jail = ? AND fid = ?"),
      byFid: this.db.prepare<[string], Row>("SELECT * FROM jail_entries WHERE fid = ? ORDER BY jail"),
      insert: this.db.prepare(
        `INSERT INTO jail_entries (jail, fid, ip, version, counting, ban, ban_active, ban_until, expires_at)
         VALUES (@jail, @fid, @ip, 1, @counting, @ban, @ban_active, @ban_until, @expires_at)
         ON CONFLICT (jail, fid) DO NOTHING`,
      ),
      update: this.db.prepare(
        `UPDATE jail_entries SET ip = @ip, version = version + 1, counting = @counting, ban = @ban,
           ban_active = @ban_active, ban_until = @ban_until, expires_at = @expires_at
         WHERE jail = @jail AND fid = @fid AND version = @version`,
      ),
      active: this.db.prepare<[number], Row>(
        "SELECT * FROM jail_entries WHERE ban_active = 1 AND ban_until > ? ORDER BY jail, fid",
      ),
      activeInJail: this.db.prepare<[number, string], Row>(
        "SELECT * FROM jail_entries WHERE ban_active = 1 AND ban_until > ? AND jail = ? ORDER BY fid",
      ),
      due: this.db.prepare<[number], Row>(
        "SELECT * FROM jail_entries WHERE ban_active = 1 AND ban_until <= ? ORDER BY ban_until, jail, fid",
      ),
      purge: this.db.prepare("DELETE FROM jail_entries WHERE expires_at IS NOT NULL AND expires_at <= ?"),
      insertAt: this.db.prepare(
        `INSERT INTO jail_entries (jail, fid, ip, version, counting, ban, ban_active, ban_until, expires_at)
         VALUES (@jail, @fid, @ip, @next, @counting, @ban, @ban_active, @ban_until, @expires_at)
         ON CONFLICT (jail, fid) DO NOTHING`,
      ),
      updateTo: this.db.prepare(
        `UPDATE jail_entries SET ip = @ip, version = @next, counting = @counting, ban = @ban,
           ban_active = @ban_active, ban_until = @ban_until, expires_at = @expires_at
         WHERE jail = @jail AND fid = @fid AND version = @version`,
      ),
    };
    this.writeAll = this.db.transaction((writes: readonly BatchWrite[]) =>
      writes.map((write) => {
        const params = { ...toParams(write.entry), next: write.version };
        const result =
          write.expectedVersion === null
            ? this.statements.insertAt.run(params)
            : this.statements.updateTo.run({ ...params, version: write.expectedVersion });
        return result.changes === 1;
      }),
    );
  }

  private readonly writeAll: (writes: readonly BatchWrite[]) => boolean[];

  async get(jail: string, fid: string): Promise<StoredEntry | undefined> {
    this.requests.reads++;
    const row = this.statements.get.get(jail, fid);
    return row ? fromRow(row) : undefined;
  }

  async listByFid(fid: string): Promise<StoredEntry[]> {
    this.requests.reads++;
    return this.statements.byFid.all(fid).map(fromRow);
  }

  async put(entry: JailEntry, expectedVersion: number | null): Promise<number | undefined> {
    const params = toParams(entry);
    const result =
      expectedVersion === null
        ? this.statements.insert.run(params)
        : this.statements.update.run({ ...params, version: expectedVersion });
    if (result.changes !== 1) {
      this.requests.conflicts++;
      return undefined;
    }
    this.requests.writes++;
    return expectedVersion === null ? 1 : expectedVersion + 1;
  }

  /**
   * Writes many entries in ONE transaction (the daemon's write-behind layer, host/daemon/write-behind-store.ts), each
   * with its own compare-and-set: `version` is stored when the row still holds `expectedVersion` (null: no row yet).
   * Returns, in order, whether each write was applied; a write whose compare-and-set failed changes nothing and does
   * not stop the others. An SQLite error (busy, corrupt) rolls the whole transaction back and is thrown.
   */
  async writeBatch(writes: readonly BatchWrite[]): Promise<boolean[]> {
    if (writes.length === 0) return [];
    const applied = this.writeAll(writes);
    for (const ok of applied) {
      if (ok) this.requests.writes++;
      else this.requests.conflicts++;
    }
    this.transactions++;
    return applied;
  }

  /** Write transactions committed by `writeBatch` (each `put` is a transaction of its own, counted in writes). */
  transactions = 0;

  async activeBans(now: number, jail?: string): Promise<StoredEntry[]> {
    this.requests.reads++;
    const rows = jail === undefined ? this.statements.active.all(now) : this.statements.activeInJail.all(now, jail);
    return rows.map(fromRow);
  }

  /**
   * Bans due to end. One damaged row must not stop every other ban from ending: with an `onDamagedEntry` listener a
   * row that cannot be read is handed to it and skipped (the listener makes it loud); without one it throws.
   */
  async dueBans(now: number): Promise<StoredEntry[]> {
    this.requests.reads++;
    const due: StoredEntry[] = [];
    for (const row of this.statements.due.all(now)) {
      try {
        due.push(fromRow(row));
      } catch (error) {
        if (!(error instanceof DamagedEntryError) || !this.onDamagedEntry) throw error;
        this.onDamagedEntry(error);
      }
    }
    return due;
  }

  async purge(now: number): Promise<number> {
    const removed = this.statements.purge.run(now).changes;
    if (removed > 0) this.requests.writes++;
    this.requests.purged += removed;
    return removed;
  }

  counters(): StoreCounters {
    return this.requests.snapshot();
  }

  resetCounters(): void {
    this.requests.reset();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** One compare-and-set of {@link SqliteStore.writeBatch}. */
export interface BatchWrite {
  readonly entry: JailEntry;
  /** The version the row must hold for the write to apply; null: the row must not exist. */
  readonly expectedVersion: number | null;
  /** The version the row gets (greater than `expectedVersion`). */
  readonly version: number;
}

// `ban_until` holds PERMANENT_UNTIL for permanent bans so that one indexed range covers both kinds.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS jail_entries (
  jail TEXT NOT NULL,
  fid TEXT NOT NULL,
  ip TEXT NOT NULL,
  version INTEGER NOT NULL,
  counting TEXT,
  ban TEXT,
  ban_active INTEGER NOT NULL DEFAULT 0,
  ban_until REAL,
  expires_at REAL,
  PRIMARY KEY (jail, fid)
);
CREATE INDEX IF NOT EXISTS jail_entries_active ON jail_entries (ban_active, ban_until);
CREATE INDEX IF NOT EXISTS jail_entries_fid ON jail_entries (fid);
CREATE INDEX IF NOT EXISTS jail_entries_expires ON jail_entries (expires_at);
`;

interface Row {
  jail: string;
  fid: string;
  ip: string;
  version: number;
  counting: string | null;
  ban: string | null;
  ban_active: number;
  ban_until: number | null;
  expires_at: number | null;
}

function toParams(entry: JailEntry) {
  const ban = entry.ban;
  return {
    jail: entry.jail,
    fid: entry.fid,
    ip: entry.ip,
    counting: entry.window ? JSON.stringify(entry.window) : null,
    ban: ban ? JSON.stringify(ban) : null,
    ban_active: ban?.active ? 1 : 0,
    ban_until: ban ? (ban.until ?? PERMANENT_UNTIL) : null,
    expires_at: entry.expiresAt,
  };
}

/** A row whose JSON columns cannot be read (a disk fault, a hand edit): its jail, failure id and address survive. */
export class DamagedEntryError extends CloudjailError {
  override name = "DamagedEntryError";
  constructor(
    readonly jail: string,
    readonly fid: string,
    readonly ip: string,
    cause: unknown,
  ) {
    super(`the record of ${fid} in jail ${jail} cannot be read: ${(cause as Error).message}`, { cause });
  }
}

function fromRow(row: Row): StoredEntry {
  let window: FailureWindow | undefined;
  let ban: BanState | undefined;
  try {
    if (row.counting) window = JSON.parse(row.counting) as FailureWindow;
    if (row.ban) ban = JSON.parse(row.ban) as BanState;
  } catch (error) {
    throw new DamagedEntryError(row.jail, row.fid, row.ip, error);
  }
  const entry: JailEntry = {
    jail: row.jail,
    fid: row.fid,
    ip: row.ip,
    ...(window ? { window } : {}),
    ...(ban ? { ban } : {}),
    expiresAt: row.expires_at,
  };
  return { entry, version: row.version };
}

// The daemon's store under a flood. Counting a new address used to cost one SQLite read and one write transaction
// per failure line (plus the JSON of the entry each time): about 2,000 lines a second, so a new attacker waited
// behind tens of thousands of other addresses' first failures. The daemon is the only writer of its database (one
// daemon per database, host/daemon/instance-lock.ts), so it may keep what it read and what it decided in memory:
// entries read once are served from here, changes are kept in a dirty set and written together, in ONE transaction,
// when the jail has handled a slice of lines (JailPipeline asks, and enforces the slice's bans only once they are
// written) or at the latest after `flushIntervalMs`. Queries that SQLite answers (bans in force, bans due, one
// address in every jail, purge) write the dirty set first, so that their answers stay exact.
//
// Nothing decided is dropped silently: a write that fails (a database locked by another process past the
// ResilientStore's retries) keeps the changes in memory, is reported at ERROR and tried again; closing writes them.
// A compare-and-set that fails at write time means another process changed the row behind the daemon's back: that is
// reported at ERROR, the daemon's change is dropped and the entry read again from the database, never overwritten.
import type { BatchWrite } from "../../shared/store/sqlite-store.js";
import {
  type JailEntry,
  RequestCounters,
  type Store,
  type StoreCounters,
  type StoredEntry,
} from "../../shared/store/store.js";

/** The store under the write-behind layer: a Store that also writes many entries in one transaction. */
export interface BatchingStore extends Store {
  writeBatch(writes: readonly BatchWrite[]): Promise<boolean[]>;
  /** Changes when the database was replaced by a fresh one (a corrupt file moved aside): versions read are void. */
  readonly generation: number;
}

/** How the write-behind layer works and reports. */
export interface WriteBehindOptions {
  /** Told each failed write (kept and tried again) and each entry changed behind the daemon's back. */
  readonly error: (message: string) => void;
  /** Longest time a change waits in memory before it is written, when nobody asks sooner. Default 50 ms. */
  readonly flushIntervalMs?: number;
  /** Changes kept before a write is forced from within `put`. Default 10,000. */
  readonly maxDirty?: number;
  /** Entries kept in memory; unchanged entries beyond it are forgotten, least recently used first. Default 100,000. */
  readonly maxEntries?: number;
}

/** One entry as the daemon knows it: its current state, and the version the database holds. */
interface Slot {
  /** Current state (undefined: no entry), with the version the jail logic sees. */
  stored: StoredEntry | undefined;
  /** Version of the row in the database (null: no row). */
  dbVersion: number | null;
}

const keyOf = (jail: string, fid: string) => `${jail}\u0000${fid}`;

/** A Store that serves entries from memory and writes changes behind, in one transaction per flush. */
export class WriteBehindStore implements Store {
  readonly kind: string;
  /** Insertion order is recency: a read moves the entry to the end, eviction takes from the front. */
  private readonly slots = new Map<string, Slot>();
  private readonly dirty = new Set<string>();
  private generation: number;
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private readonly maxDirty: number;
  private readonly maxEntries: number;
  /** Requests made of this store: reads that went to SQLite, puts accepted (writes) or refused (conflicts). */
  private readonly requests = new RequestCounters();
  /** Write transactions made (flushes with something to write). */
  flushes = 0;
  /** Changes dropped because another process had changed the row. */
  conflicts = 0;
  private retryAt = 0;
  private retryDelayMs = 0;
  /** Why the last write failed, while changes wait in memory; undefined once a write succeeds. */
  failing: string | undefined;

  constructor(
    private readonly inner: BatchingStore,
    private readonly options: WriteBehindOptions,
  ) {
    this.kind = inner.kind;
    this.generation = inner.generation;
    this.maxDirty = options.maxDirty ?? 10_000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.timer = setInterval(() => {
      // after a failed write the timer backs off (up to 5 s): a broken disk is reported, not every 50 ms
      if (this.dirty.size === 0 || Date.now() < this.retryAt) return;
      this.flush().then(
        () => {
          this.retryDelayMs = 0;
        },
        () => {
          this.retryDelayMs = Math.min(Math.max(100, this.retryDelayMs * 2), 5000);
          this.retryAt = Date.now() + this.retryDelayMs;
        },
      );
    }, options.flushIntervalMs ?? 50);
    this.timer.unref();
  }

  /** Changes decided and not written yet. */
  get pending(): number {
    return this.dirty.size;
  }

  /** Entries held in memory (changed or not). */
  get size(): number {
    return this.slots.size;
  }

  async get(jail: string, fid: string): Promise<StoredEntry | undefined> {
    return (await this.slot(jail, fid)).stored;
  }

  async put(entry: JailEntry, expectedVersion: number | null): Promise<number | undefined> {
    const key = keyOf(entry.jail, entry.fid);
    const slot = await this.slot(entry.jail, entry.fid);
    if ((slot.stored?.version ?? null) !== expectedVersion) {
      this.requests.conflicts++;
      return undefined;
    }
    this.requests.writes++;
    const version = (expectedVersion ?? 0) + 1;
    slot.stored = { entry, version };
    this.dirty.add(key);
    if (this.dirty.size >= this.maxDirty) await this.flush();
    return version;
  }

  async listByFid(fid: string): Promise<StoredEntry[]> {
    await this.flushForQuery();
    return this.inner.listByFid(fid);
  }

  async activeBans(now: number, jail?: string): Promise<StoredEntry[]> {
    await this.flushForQuery();
    return this.inner.activeBans(now, jail);
  }

  async dueBans(now: number): Promise<StoredEntry[]> {
    await this.flushForQuery();
    return this.inner.dueBans(now);
  }

  async purge(now: number): Promise<number> {
    await this.flush();
    const removed = await this.inner.purge(now);
    // the rows just deleted must not be updated later as if they were still there
    for (const [key, slot] of this.slots) {
      const expiresAt = slot.stored?.entry.expiresAt;
      if (expiresAt !== undefined && expiresAt !== null && expiresAt <= now && !this.dirty.has(key)) {
        this.slots.delete(key);
      }
    }
    return removed;
  }

  /**
   * Writes every change kept in memory in one transaction; resolves once they are in the database. Throws what the
   * database threw (the changes stay and are tried again). Calls run one after the other.
   */
  flush(): Promise<void> {
    const run = this.flushing.then(
      () => this.writeDirty(),
      () => this.writeDirty(),
    );
    this.flushing = run.catch(() => {});
    return run;
  }

  /** Forgets the unchanged entries, so that they are read again (after a reload: someone may have edited rows). */
  forget(): void {
    for (const key of this.slots.keys()) if (!this.dirty.has(key)) this.slots.delete(key);
  }

  counters(): StoreCounters {
    const inner = this.inner.counters();
    return { ...this.requests.snapshot(), reads: inner.reads, purged: inner.purged };
  }

  resetCounters(): void {
    this.requests.reset();
    this.inner.resetCounters();
  }

  /** Writes what is left, then closes the database; a write that fails is reported (the lines stay in the log). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.flush();
    } catch (error) {
      this.options.error(
        `${this.dirty.size} changes to failures and bans could not be written at shutdown: ${(error as Error).message}`,
      );
    }
    await this.inner.close();
  }

  private async slot(jail: string, fid: string): Promise<Slot> {
    this.syncGeneration();
    const key = keyOf(jail, fid);
    const known = this.slots.get(key);
    if (known) {
      this.slots.delete(key);
      this.slots.set(key, known);
      return known;
    }
    const stored = await this.inner.get(jail, fid);
    this.syncGeneration();
    // another call may have read (and changed) it while this one waited
    const raced = this.slots.get(key);
    if (raced) return raced;
    // room is made before the new entry goes in: the entry returned (about to be changed) is never the one forgotten
    if (this.slots.size >= this.maxEntries) this.evict();
    const slot: Slot = { stored, dbVersion: stored?.version ?? null };
    this.slots.set(key, slot);
    return slot;
  }

  // Forgets unchanged entries, oldest use first, down to 90% of the bound (not one per read); changes stay.
  private evict(): void {
    const target = Math.floor(this.maxEntries * 0.9);
    for (const key of this.slots.keys()) {
      if (this.slots.size <= target) return;
      if (!this.dirty.has(key)) this.slots.delete(key);
    }
  }

  /** The database was replaced by a fresh one: its rows are gone, so changes are inserted and the rest read again. */
  private syncGeneration(keep?: ReadonlySet<string>): void {
    if (this.inner.generation === this.generation) return;
    this.generation = this.inner.generation;
    for (const [key, slot] of this.slots) {
      if (keep?.has(key)) continue;
      if (this.dirty.has(key)) slot.dbVersion = null;
      else this.slots.delete(key);
    }
  }

  // A query answers from the database; when the changes cannot be written (reported), it answers what is written.
  private async flushForQuery(): Promise<void> {
    try {
      await this.flush();
    } catch {
      // reported by writeDirty; the caller still gets the database's answer
    }
  }

  private async writeDirty(): Promise<void> {
    this.syncGeneration();
    if (this.dirty.size === 0) return;
    const keys = [...this.dirty];
    const writes: BatchWrite[] = keys.map((key) => {
      const slot = this.slots.get(key)!;
      const stored = slot.stored!;
      return { entry: stored.entry, expectedVersion: slot.dbVersion, version: stored.version };
    });
    const generation = this.generation;
    let applied: boolean[];
    try {
      applied = await this.inner.writeBatch(writes);
    } catch (error) {
      this.failing = (error as Error).message;
      this.options.error(
        `${writes.length} changes to failures and bans are not written to the database yet (kept in memory, tried ` +
          `again): ${this.failing}`,
      );
      throw error;
    }
    this.failing = undefined;
    this.flushes++;
    const written = new Set<string>();
    keys.forEach((key, index) => {
      const write = writes[index]!;
      const slot = this.slots.get(key);
      if (!slot) return;
      if (applied[index]) {
        written.add(key);
        slot.dbVersion = write.version;
        if (slot.stored?.version === write.version) this.dirty.delete(key);
        return;
      }
      this.conflicts++;
      this.requests.conflicts++;
      this.dirty.delete(key);
      this.slots.delete(key);
      this.options.error(
        `the entry of ${write.entry.fid} in jail ${write.entry.jail} was changed in the database by another ` +
          "process: the daemon's change is dropped, the entry is read again from the database (one daemon per " +
          "database)",
      );
    });
    // replaced while writing: what was just written is in the fresh database, the rest is not
    if (this.inner.generation !== generation) this.syncGeneration(written);
  }
}

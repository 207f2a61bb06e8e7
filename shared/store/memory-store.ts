import {
  type JailEntry,
  PERMANENT_UNTIL,
  RequestCounters,
  type Store,
  type StoreCounters,
  type StoredEntry,
} from "./store.js";

/**
 * The entries of a memory store. Several MemoryStores may share one (as several connections share a SQLite file),
 * which the contract suite uses for its concurrent writers.
 */
export class MemoryBacking {
  /** Entries by `jail \0 fid`. */
  readonly entries = new Map<string, StoredEntry>();
  /** Keys of the entries whose ban is flagged active: the only ones `activeBans` and `dueBans` look at. */
  readonly activeKeys = new Set<string>();
  /** The jails that have an entry, per fid. */
  readonly jailsByFid = new Map<string, Set<string>>();
}

/**
 * A store that lives in this process only: `cloudjail replay` without `--store` (its state is forgotten after the
 * run anyway). Same contract as the SQLite and DynamoDB stores (one suite runs on all three), at the cost of a map
 * lookup: no SQL, no JSON per read and write (a replay's 60,000 failures spent about a second in SQLite's).
 *
 * Entries are kept as written and handed out as they are, deep-frozen: the jail logic builds new entries and never
 * changes one it read, and if some code tried, strict mode would throw instead of silently changing the store.
 */
export class MemoryStore implements Store {
  readonly kind = "memory";
  private readonly requests = new RequestCounters();

  constructor(private readonly backing = new MemoryBacking()) {}

  async get(jail: string, fid: string): Promise<StoredEntry | undefined> {
    this.requests.reads++;
    return this.backing.entries.get(keyOf(jail, fid));
  }

  async listByFid(fid: string): Promise<StoredEntry[]> {
    this.requests.reads++;
    const jails = [...(this.backing.jailsByFid.get(fid) ?? [])].sort(byText);
    return jails.map((jail) => this.backing.entries.get(keyOf(jail, fid))!);
  }

  async put(entry: JailEntry, expectedVersion: number | null): Promise<number | undefined> {
    const { entries, activeKeys, jailsByFid } = this.backing;
    const key = keyOf(entry.jail, entry.fid);
    const current = entries.get(key);
    if (expectedVersion === null ? current !== undefined : current?.version !== expectedVersion) {
      this.requests.conflicts++;
      return undefined;
    }
    const version = expectedVersion === null ? 1 : expectedVersion + 1;
    entries.set(key, Object.freeze({ entry: deepFreeze(entry), version }));
    if (entry.ban?.active) activeKeys.add(key);
    else activeKeys.delete(key);
    const jails = jailsByFid.get(entry.fid) ?? new Set<string>();
    jailsByFid.set(entry.fid, jails);
    jails.add(entry.jail);
    this.requests.writes++;
    return version;
  }

  async activeBans(now: number, jail?: string): Promise<StoredEntry[]> {
    this.requests.reads++;
    return this.flaggedActive()
      .filter(({ entry }) => banUntil(entry) > now && (jail === undefined || entry.jail === jail))
      .sort((a, b) => byText(a.entry.jail, b.entry.jail) || byText(a.entry.fid, b.entry.fid));
  }

  async dueBans(now: number): Promise<StoredEntry[]> {
    this.requests.reads++;
    return this.flaggedActive()
      .filter(({ entry }) => banUntil(entry) <= now)
      .sort(
        (a, b) =>
          banUntil(a.entry) - banUntil(b.entry) ||
          byText(a.entry.jail, b.entry.jail) ||
          byText(a.entry.fid, b.entry.fid),
      );
  }

  async purge(now: number): Promise<number> {
    const { entries, activeKeys, jailsByFid } = this.backing;
    let removed = 0;
    for (const [key, { entry }] of entries) {
      if (entry.expiresAt === null || entry.expiresAt > now) continue;
      entries.delete(key);
      activeKeys.delete(key);
      const jails = jailsByFid.get(entry.fid);
      jails?.delete(entry.jail);
      if (jails?.size === 0) jailsByFid.delete(entry.fid);
      removed++;
    }
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

  async close(): Promise<void> {}

  private flaggedActive(): StoredEntry[] {
    return [...this.backing.activeKeys].map((key) => this.backing.entries.get(key)!);
  }
}

function keyOf(jail: string, fid: string): string {
  return `${jail}\u0000${fid}`;
}

/** The end of an entry's ban as the other stores index it: permanent bans end at PERMANENT_UNTIL. */
function banUntil(entry: JailEntry): number {
  return entry.ban ? (entry.ban.until ?? PERMANENT_UNTIL) : Number.NEGATIVE_INFINITY;
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

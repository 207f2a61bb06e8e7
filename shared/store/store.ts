/**
 * The `Store` seam: where jail state lives between two failures. The jail logic (shared/jail/) is pure and keeps
 * nothing in memory; everything it needs to decide is one {@link JailEntry} per jail and failure id, read and written
 * through this interface. Two implementations: SQLite (embedded, host mode) and DynamoDB (cloud mode); one contract
 * test suite runs against both.
 *
 * Why a versioned record store rather than "addFailure / addBan" operations: fail2ban's counting (a window that is
 * rescaled when it grows beyond findtime) cannot be expressed as a database update expression, and the cloud runs
 * many writers at once. So the logic reads the entry, computes the next entry in pure code and writes it back with a
 * compare-and-set on `version`. That gives, with a single write per counted failure:
 * - idempotency: the entry remembers the event ids it already counted, in the same write that counts them;
 * - no lost count: a concurrent writer makes the compare-and-set fail, the loser re-reads and retries;
 * - exactly one ban: the transition to "banned" is one successful compare-and-set, never two.
 *
 * Time: every record carries explicit times and `expiresAt`; readers filter on time themselves, deletion
 * (`purge`, or DynamoDB TTL) is garbage collection only and may lag arbitrarily.
 */

/** Counting state of one failure id in one jail (fail2ban's FailTicket): weighted attempts within the window. */
export interface FailureWindow {
  /** Start of the counting window (moves forward when fail2ban's rescaling applies), epoch seconds. */
  readonly firstTime: number;
  /** Time of the latest counted failure, epoch seconds. */
  readonly lastTime: number;
  /** Weighted attempt count compared to maxretry (fail2ban's `retry`; known offenders count more than one). */
  readonly retry: number;
  /** Number of failures counted in this window (unweighted). */
  readonly attempts: number;
  /** Log events already counted and still inside findtime: a redelivered event is recognised and not counted. */
  readonly events: readonly CountedEvent[];
  /** The last `maxmatches` matched log lines (truncated), shown in ban alerts. */
  readonly matches: readonly string[];
}

/** A log event id with its time, kept while a redelivery of it could still be counted. */
export interface CountedEvent {
  readonly id: string;
  readonly time: number;
}

/** The latest ban of one failure id in one jail (fail2ban's `bips` row): also the history used for increments. */
export interface BanState {
  /** Ban start: time of the failure that completed the count, epoch seconds. */
  readonly time: number;
  /** Ban length in seconds after increments; negative means permanent. */
  readonly banTime: number;
  /** End of the ban, epoch seconds; null when permanent. */
  readonly until: number | null;
  /** 1 for the first ban of this address in this jail, 2 for the second, ... (drives bantime.increment). */
  readonly count: number;
  /** Attempts that led to the ban. */
  readonly failures: number;
  /** Matched lines that led to the ban (at most maxmatches). */
  readonly matches: readonly string[];
  /** True until the ban is ended (expired or unbanned) by the logic; readers still compare `until` with the time. */
  readonly active: boolean;
  /** When the ban was ended by an unban or an expiry, epoch seconds. */
  readonly endedAt?: number;
}

/** Everything the store keeps for one failure id (normally an address) in one jail. */
export interface JailEntry {
  readonly jail: string;
  /** Failure id: the address in normalised text form, or the filter's `<F-ID>` when it sets one. */
  readonly fid: string;
  /** The address to ban. */
  readonly ip: string;
  readonly window?: FailureWindow;
  readonly ban?: BanState;
  /** After this time (epoch seconds) nothing in the entry matters any more; null while a permanent ban stands. */
  readonly expiresAt: number | null;
}

/** An entry as read, with the version a compare-and-set must present. */
export interface StoredEntry {
  readonly entry: JailEntry;
  readonly version: number;
}

/** Requests a store made, counted by the store itself (the bench reports them). */
export interface StoreCounters {
  /** Read requests (get, query, scan pages). */
  readonly reads: number;
  /** Successful write requests (put or delete). */
  readonly writes: number;
  /** Writes rejected by the compare-and-set: they cost a request (and, on DynamoDB, capacity) too. */
  readonly conflicts: number;
  /** Records removed by `purge`. */
  readonly purged: number;
  /** Write capacity units the successful writes consumed, index writes included (DynamoDB; 0 elsewhere). */
  readonly writeUnits: number;
}

/** Persistence of jail entries with compare-and-set writes; see the module comment for the why. */
export interface Store {
  /** Short name for messages and test titles ("sqlite", "dynamodb"). */
  readonly kind: string;
  /** The entry of `fid` in `jail`, exactly as last written (the caller filters on time), or undefined. */
  get(jail: string, fid: string): Promise<StoredEntry | undefined>;
  /** Every jail's entry for `fid` (bantime.overalljails), as last written. */
  listByFid(fid: string): Promise<StoredEntry[]>;
  /**
   * Writes `entry` if the stored version still equals `expectedVersion` (null: only if no entry exists yet).
   * Returns the new version, or undefined when another writer came first (nothing was written).
   */
  put(entry: JailEntry, expectedVersion: number | null): Promise<number | undefined>;
  /** Bans in force at `now` (active, and permanent or ending after `now`), optionally of one jail only. */
  activeBans(now: number, jail?: string): Promise<StoredEntry[]>;
  /** Bans still flagged active whose end is at or before `now`: the logic turns them into unbans. */
  dueBans(now: number): Promise<StoredEntry[]>;
  /** Deletes entries whose `expiresAt` is at or before `now`; returns how many (0 where TTL does it). */
  purge(now: number): Promise<number>;
  /** Snapshot of the request counters since creation or the last reset. */
  counters(): StoreCounters;
  /** Sets every counter back to zero. */
  resetCounters(): void;
  /** Releases connections and files. */
  close(): Promise<void>;
}

/** Mutable counters used by the implementations; `snapshot` gives the read-only view. */
export class RequestCounters {
  reads = 0;
  writes = 0;
  conflicts = 0;
  purged = 0;
  writeUnits = 0;

  /** A copy that later requests do not change. */
  snapshot(): StoreCounters {
    const { reads, writes, conflicts, purged, writeUnits } = this;
    return { reads, writes, conflicts, purged, writeUnits };
  }

  /** Back to zero. */
  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.conflicts = 0;
    this.purged = 0;
    this.writeUnits = 0;
  }
}

/** Sort key of permanent bans in time-ordered indexes: after any real time (year 9999). */
export const PERMANENT_UNTIL = 253_402_300_799;

/** True when `entry` holds a ban in force at `now`, whatever any index or TTL says. */
export function banInForce(entry: JailEntry, now: number): boolean {
  const ban = entry.ban;
  if (!ban?.active) return false;
  return ban.until === null || ban.until > now;
}

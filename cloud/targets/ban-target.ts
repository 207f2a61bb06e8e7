// The seam between the jail logic and the places where a ban takes effect (WAF IP sets, network ACLs). A target is
// reconciled, not commanded: the scheduled run hands it the whole desired state and it makes itself equal to it, so
// lost updates, manual edits and partial failures heal on the next run. Many writers share a target (every ingest
// container, the admin function, the scheduled run), and a list of bans read a moment ago may already be stale, so
// only two things may ever take an address out of a target: the scheduled sync and an admin unban, and both only
// after a consistent read of the store (a BanLookup, made after the target was read) says no ban is in force.
// Ingest and admin bans only add.

/** An active ban as a target needs it: the address and when the ban began (newest bans win when room runs out). */
export interface TargetBan {
  readonly ip: string;
  /** Ban start, epoch seconds. */
  readonly bannedAt: number;
}

/** An address the target should carry but does not, and why; the reconciler retries it. */
export interface TargetFailure {
  readonly ip: string;
  readonly reason: string;
}

/** Outcome of one reconciliation of one target. */
export interface TargetSyncResult {
  /** Name of the target, for logs and reports. */
  readonly target: string;
  /** Addresses the target carries after this call, confirmed by a successful write or read. */
  readonly enforced: readonly string[];
  /** Addresses deliberately left out because the target is full (the oldest bans go first). */
  readonly overflow: readonly string[];
  /** Addresses that should be carried but whose update failed. */
  readonly failed: readonly TargetFailure[];
  /** Problems that are not tied to one ban (a stale entry that could not be removed, a risky rule order). */
  readonly warnings: readonly string[];
  /** Number of write calls made to the AWS API. */
  readonly writes: number;
  /** Rules in the target's range that cloudjail did not create (the user's): left alone, reported. */
  readonly foreignRules?: number;
}

/**
 * The bans in force now among `ips`, from a consistent read of the store (never from an index that may lag), each
 * dated by its newest ban; addresses without a ban in force are absent from the answer.
 */
export type BanLookup = (ips: readonly string[]) => Promise<ReadonlyMap<string, TargetBan>>;

/** A lookup that trusts `bans` as they are: for tests and callers whose list is known to be current. */
export function trustedLookup(bans: readonly TargetBan[]): BanLookup {
  const byIp = new Map(bans.map((ban) => [ban.ip, ban]));
  return async (ips) => new Map(ips.flatMap((ip) => (byIp.has(ip) ? [[ip, byIp.get(ip)!] as const] : [])));
}

/** A place where bans take effect. No method throws for AWS errors: they are reported in the result. */
export interface BanTarget {
  readonly name: string;
  /**
   * Makes the target carry `bans` (within its capacity): the scheduled run. Where the target and `bans` differ,
   * `lookup` decides (it is asked after the target was read), so a stale `bans` neither removes a fresh ban nor puts
   * back an address that was unbanned meanwhile. @default lookup: trust `bans`
   */
  sync(bans: readonly TargetBan[], lookup?: BanLookup): Promise<TargetSyncResult>;
  /** Adds `bans` to what the target carries; never removes anything (new bans from ingest and admin). */
  add(bans: readonly TargetBan[]): Promise<TargetSyncResult>;
  /** Removes those of `ips` that `lookup` (asked after the target was read) finds without a ban in force. */
  remove(ips: readonly string[], lookup: BanLookup): Promise<TargetSyncResult>;
}

/** Sorts bans newest first (ties by address, so plans are repeatable), the order in which room is granted. */
export function newestFirst<T extends TargetBan>(bans: readonly T[]): T[] {
  return [...bans].sort((a, b) => b.bannedAt - a.bannedAt || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}

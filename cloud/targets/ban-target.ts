// The seam between the jail logic and the places where a ban takes effect (WAF IP sets, network ACLs). A target is
// reconciled, not commanded: it receives the whole desired state and makes itself equal to it, so lost updates,
// manual edits and partial failures heal on the next call.

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
}

/** A place where bans take effect. `sync` never throws for AWS errors: it reports them in the result. */
export interface BanTarget {
  readonly name: string;
  /** Makes the target carry exactly `bans` (within its capacity) and reports what it achieved. */
  sync(bans: readonly TargetBan[]): Promise<TargetSyncResult>;
}

/** Sorts bans newest first (ties by address, so plans are repeatable), the order in which room is granted. */
export function newestFirst<T extends TargetBan>(bans: readonly T[]): T[] {
  return [...bans].sort((a, b) => b.bannedAt - a.bannedAt || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}

// Enforcement by reconciliation: the active bans in the store are the desired state, every target is synced to it,
// and the outcome per address says where the ban holds and where it is still pending. Nothing is recorded as done
// here: a target that failed is simply synced again by the next run (every minute), with the same desired state.
import type { ActiveBan } from "../../shared/jail/jail-runner.js";
import type { BanTarget, TargetBan, TargetSyncResult } from "../targets/ban-target.js";

/** Where one banned address stands after a sync. */
export interface AddressEnforcement {
  readonly ip: string;
  /** Targets that carry the ban. */
  readonly enforcedIn: readonly string[];
  /** Targets whose update failed (retried by the next sync). */
  readonly pendingIn: readonly string[];
  /** Targets too full to carry it (the newest bans are kept). */
  readonly overflowIn: readonly string[];
}

/** The outcome of syncing every target. */
export interface EnforcementReport {
  readonly targets: readonly TargetSyncResult[];
  readonly addresses: ReadonlyMap<string, AddressEnforcement>;
  /** Failed updates in all targets. */
  readonly failures: number;
  /** Bans left out for lack of room, in all targets. */
  readonly overflow: number;
}

/** One entry per address: an address banned in several jails is one target entry, dated by its newest ban. */
export function targetBans(bans: readonly ActiveBan[]): TargetBan[] {
  const newest = new Map<string, number>();
  for (const ban of bans) newest.set(ban.ip, Math.max(newest.get(ban.ip) ?? Number.NEGATIVE_INFINITY, ban.time));
  return [...newest].map(([ip, bannedAt]) => ({ ip, bannedAt }));
}

/**
 * Syncs every target to `bans` (one after the other: they are independent, and this keeps AWS write rates low) and
 * reports, per address, where the ban holds. A target that throws despite its contract counts as failed for all.
 */
export async function enforceBans(
  targets: readonly BanTarget[],
  bans: readonly ActiveBan[],
): Promise<EnforcementReport> {
  const desired = targetBans(bans);
  const results: TargetSyncResult[] = [];
  for (const target of targets) {
    try {
      results.push(await target.sync(desired));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      results.push({
        target: target.name,
        enforced: [],
        overflow: [],
        failed: desired.map((ban) => ({ ip: ban.ip, reason })),
        warnings: [reason],
        writes: 0,
      });
    }
  }
  const addresses = new Map<string, AddressEnforcement>();
  for (const { ip } of desired) {
    addresses.set(ip, {
      ip,
      enforcedIn: results.filter((r) => r.enforced.includes(ip)).map((r) => r.target),
      pendingIn: results.filter((r) => r.failed.some((f) => f.ip === ip)).map((r) => r.target),
      overflowIn: results.filter((r) => r.overflow.includes(ip)).map((r) => r.target),
    });
  }
  return {
    targets: results,
    addresses,
    failures: results.reduce((sum, r) => sum + r.failed.length, 0),
    overflow: results.reduce((sum, r) => sum + r.overflow.length, 0),
  };
}

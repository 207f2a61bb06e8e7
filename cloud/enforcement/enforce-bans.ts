// Enforcement by reconciliation: the active bans in the store are the desired state, every target is synced to it by
// the scheduled run, and the outcome per address says where the ban holds and where it is still pending. Nothing is
// recorded as done here: a target that failed is simply synced again by the next run (every minute). Between runs,
// new bans are added to the targets at once (addBans: never a removal, so no writer can drop another's fresh ban
// from a stale list) and an admin unban takes its one address out (removeBans, confirmed by the store).
import type { ActiveBan } from "../../shared/jail/jail-runner.js";
import type { BanLookup, BanTarget, TargetBan, TargetSyncResult } from "../targets/ban-target.js";

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
  /** Rules in the targets' ranges that cloudjail did not create (left alone). */
  readonly foreignRules: number;
}

/** One entry per address: an address banned in several jails is one target entry, dated by its newest ban. */
export function targetBans(bans: readonly Pick<ActiveBan, "ip" | "time">[]): TargetBan[] {
  const newest = new Map<string, number>();
  for (const ban of bans) newest.set(ban.ip, Math.max(newest.get(ban.ip) ?? Number.NEGATIVE_INFINITY, ban.time));
  return [...newest].map(([ip, bannedAt]) => ({ ip, bannedAt }));
}

/**
 * Syncs every target to `bans` (one after the other: they are independent, and this keeps AWS write rates low) and
 * reports, per address, where the ban holds. `lookup` confirms, from the store, every difference between `bans` and
 * a target before it is acted on (the scheduled run passes one; `bans` come from an index that may lag). A target
 * that throws despite its contract counts as failed for all.
 */
export function enforceBans(
  targets: readonly BanTarget[],
  bans: readonly ActiveBan[],
  lookup?: BanLookup,
): Promise<EnforcementReport> {
  const desired = targetBans(bans);
  return onEveryTarget(targets, desired, (target) => target.sync(desired, lookup));
}

/** Adds new bans to every target (never removes anything) and reports where each holds. */
export function addBans(
  targets: readonly BanTarget[],
  bans: readonly Pick<ActiveBan, "ip" | "time">[],
): Promise<EnforcementReport> {
  const desired = targetBans(bans);
  return onEveryTarget(targets, desired, (target) => target.add(desired));
}

/** Takes `ips` out of every target, each only if `lookup` finds no ban in force for it (an admin unban). */
export function removeBans(
  targets: readonly BanTarget[],
  ips: readonly string[],
  lookup: BanLookup,
): Promise<EnforcementReport> {
  return onEveryTarget(targets, [], (target) => target.remove(ips, lookup));
}

async function onEveryTarget(
  targets: readonly BanTarget[],
  desired: readonly TargetBan[],
  call: (target: BanTarget) => Promise<TargetSyncResult>,
): Promise<EnforcementReport> {
  const results: TargetSyncResult[] = [];
  for (const target of targets) {
    try {
      results.push(await call(target));
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
    foreignRules: results.reduce((sum, r) => sum + (r.foreignRules ?? 0), 0),
  };
}

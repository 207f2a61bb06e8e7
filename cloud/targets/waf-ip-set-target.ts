// WAFv2 IP sets as a ban target: one set per IP family, each rewritten whole (UpdateIPSet replaces the address list)
// under WAF's optimistic lock, at most once per sync, retried with jittered backoff when another writer or the
// account's write rate got in the way.
import { GetIPSetCommand, UpdateIPSetCommand, type WAFV2Client } from "@aws-sdk/client-wafv2";
import { ipFamily } from "../address.js";
import type { BanTarget, TargetBan, TargetFailure, TargetSyncResult } from "./ban-target.js";
import { planIpSet, WAF_IP_SET_CAPACITY } from "./ip-set-plan.js";
import { errorMessage, isThrottlingError, type RetryPolicy, withRetry } from "./retry.js";

/** Name and id of an existing IP set (both are needed by every WAF call). */
export interface WafIpSetRef {
  readonly name: string;
  readonly id: string;
}

/** Where the bans go in WAF. */
export interface WafIpSetTargetOptions {
  /** A WAFV2 client in the set's Region (us-east-1 for CLOUDFRONT scope). */
  readonly client: WAFV2Client;
  /** REGIONAL (ALB, API Gateway, AppSync, Cognito...) or CLOUDFRONT. */
  readonly scope: "REGIONAL" | "CLOUDFRONT";
  /** The IP set with IPAddressVersion IPV4. */
  readonly ipv4: WafIpSetRef;
  /** The IP set with IPAddressVersion IPV6. */
  readonly ipv6: WafIpSetRef;
  /** Addresses per set. @default 10000 (WAF's limit) */
  readonly capacity?: number;
  /** Backoff for lock conflicts and throttling. */
  readonly retry?: RetryPolicy;
}

const retryableWafErrors = new Set([
  "WAFOptimisticLockException",
  "WAFLimitsExceededException",
  "WAFInternalErrorException",
  "WAFUnavailableEntityException",
]);

/** True for WAF errors worth another GetIPSet + UpdateIPSet round: lock conflicts, write rate, transient faults. */
export function isRetryableWafError(error: unknown): boolean {
  return isThrottlingError(error) || (error instanceof Error && retryableWafErrors.has(error.name));
}

interface SetOutcome {
  enforced: string[];
  overflow: string[];
  failed: TargetFailure[];
  warnings: string[];
  writes: number;
}

/** Bans in a pair of WAFv2 IP sets (IPv4 and IPv6). */
export class WafIpSetTarget implements BanTarget {
  readonly name: string;
  constructor(private readonly options: WafIpSetTargetOptions) {
    this.name = `waf:${options.scope}:${options.ipv4.name}+${options.ipv6.name}`;
  }

  /** Rewrites each set that differs from the bans of its family, once, with the lock token of a fresh read. */
  async sync(bans: readonly TargetBan[]): Promise<TargetSyncResult> {
    const v4 = bans.filter((ban) => ipFamily(ban.ip) === 4);
    const v6 = bans.filter((ban) => ipFamily(ban.ip) === 6);
    const invalid = bans.filter((ban) => !ipFamily(ban.ip));
    const outcomes = [await this.syncSet(this.options.ipv4, v4), await this.syncSet(this.options.ipv6, v6)];
    return {
      target: this.name,
      enforced: outcomes.flatMap((o) => o.enforced),
      overflow: outcomes.flatMap((o) => o.overflow),
      failed: [
        ...outcomes.flatMap((o) => o.failed),
        ...invalid.map((ban) => ({ ip: ban.ip, reason: "not an IP address" })),
      ],
      warnings: outcomes.flatMap((o) => o.warnings),
      writes: outcomes.reduce((sum, o) => sum + o.writes, 0),
    };
  }

  private async syncSet(set: WafIpSetRef, bans: readonly TargetBan[]): Promise<SetOutcome> {
    const { client, scope } = this.options;
    const capacity = Math.min(this.options.capacity ?? WAF_IP_SET_CAPACITY, WAF_IP_SET_CAPACITY);
    let writes = 0;
    // What the last successful read showed, so that a failed write still credits bans the set already holds.
    let lastSeen = new Set<string>();
    let lastPlan = planIpSet(bans, [], capacity);
    const warnings: string[] = [];
    if (lastPlan.overflow.length > 0) {
      warnings.push(
        `${set.name}: ${lastPlan.overflow.length} bans do not fit in ${capacity} addresses (oldest left out)`,
      );
    }
    try {
      await withRetry(
        async () => {
          const got = await client.send(new GetIPSetCommand({ Name: set.name, Id: set.id, Scope: scope }));
          const current = got.IPSet?.Addresses ?? [];
          const plan = planIpSet(bans, current, capacity);
          lastPlan = plan;
          lastSeen = new Set(plan.addresses.filter((cidr) => !plan.toAdd.includes(cidr)));
          if (plan.unchanged) return;
          writes++;
          await client.send(
            new UpdateIPSetCommand({
              Name: set.name,
              Id: set.id,
              Scope: scope,
              Addresses: [...plan.addresses],
              LockToken: got.LockToken,
              ...(got.IPSet?.Description ? { Description: got.IPSet.Description } : {}),
            }),
          );
          lastSeen = new Set(plan.addresses);
        },
        isRetryableWafError,
        this.options.retry,
      );
    } catch (error) {
      const reason = `${set.name}: ${errorMessage(error)}`;
      const failed = [...lastPlan.ipByCidr].filter(([cidr]) => !lastSeen.has(cidr)).map(([, ip]) => ({ ip, reason }));
      return {
        enforced: [...lastSeen].map((cidr) => lastPlan.ipByCidr.get(cidr)!),
        overflow: [...lastPlan.overflow],
        failed,
        warnings: [...warnings, reason],
        writes,
      };
    }
    return {
      enforced: [...lastPlan.ipByCidr.values()],
      overflow: [...lastPlan.overflow],
      failed: [],
      warnings,
      writes,
    };
  }
}

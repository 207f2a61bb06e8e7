// WAFv2 IP sets as a ban target: one set per IP family, each rewritten whole (UpdateIPSet replaces the address list)
// under WAF's optimistic lock, at most once per call, retried with jittered backoff when another writer or the
// account's write rate got in the way. Every plan is made from the set as just read, inside the lock: an addition
// keeps whatever another writer put there, and a removal asks the store (after the read) whether the address is
// still banned. A writer that changes the set after our read makes our write fail with the lock and we plan again;
// so no write ever drops an address whose ban was recorded before that read.
import type { WAFV2Client } from "@aws-sdk/client-wafv2";
import { canonicalCidr, hostCidr, ipFamily } from "../address.js";
import {
  type BanLookup,
  type BanTarget,
  type TargetBan,
  type TargetFailure,
  type TargetSyncResult,
  trustedLookup,
} from "./ban-target.js";
import {
  hostOfCidr,
  type IpSetPlan,
  planIpSet,
  planIpSetAddition,
  planIpSetRemoval,
  WAF_IP_SET_CAPACITY,
} from "./ip-set-plan.js";
import { errorMessage, isTransientAwsError, type RetryPolicy, withRetry } from "./retry.js";

/** Name and id of an existing IP set (both are needed by every WAF call). */
export interface WafIpSetRef {
  readonly name: string;
  readonly id: string;
}

/** Where the bans go in WAF. */
export interface WafIpSetTargetOptions {
  /**
   * A WAFV2 client in the set's Region (us-east-1 for CLOUDFRONT scope), or how to make it at the first call (so that
   * a cold start does not load the WAF SDK: most deliveries ban nobody).
   */
  readonly client: WAFV2Client | (() => Promise<WAFV2Client>);
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

/**
 * True for WAF errors worth another GetIPSet + UpdateIPSet round: lock conflicts, write rate, throttling and transient
 * faults (the client makes one attempt: see ONE_SDK_ATTEMPT).
 */
export function isRetryableWafError(error: unknown): boolean {
  return isTransientAwsError(error) || (error instanceof Error && retryableWafErrors.has(error.name));
}

interface SetOutcome {
  enforced: string[];
  overflow: string[];
  failed: TargetFailure[];
  warnings: string[];
  writes: number;
}

// The WAF SDK module is loaded at the first IP set call, not when the function starts.
const wafCommands = () => import("@aws-sdk/client-wafv2");

/** Plans one set's next content from its current addresses (asked again after every lock conflict). */
type SetPlanner = (current: readonly string[]) => Promise<IpSetPlan>;

/** Bans in a pair of WAFv2 IP sets (IPv4 and IPv6). */
export class WafIpSetTarget implements BanTarget {
  readonly name: string;
  private client: Promise<WAFV2Client> | undefined;
  constructor(private readonly options: WafIpSetTargetOptions) {
    this.name = `waf:${options.scope}:${options.ipv4.name}+${options.ipv6.name}`;
  }

  /** Rewrites each set that differs from the bans of its family, once, with the lock token of a fresh read. */
  async sync(bans: readonly TargetBan[], lookup: BanLookup = trustedLookup(bans)): Promise<TargetSyncResult> {
    return this.run(bans, (family, capacity) => async (current) => {
      // Where the list and the set disagree, the store (read now, after the set) decides.
      const listed = new Map(family.map((ban) => [hostCidr(ban.ip), ban]));
      const held = new Set(current.map((entry) => canonicalCidr(entry) ?? entry));
      const questioned = [
        ...family.filter((ban) => !held.has(hostCidr(ban.ip))).map((ban) => ban.ip),
        ...current
          .filter((entry) => !listed.has(canonicalCidr(entry) ?? ""))
          .flatMap((entry) => hostOfCidr(entry) ?? []),
      ];
      const confirmed = questioned.length ? await lookup(questioned) : new Map<string, TargetBan>();
      const effective = [
        ...family.filter((ban) => held.has(hostCidr(ban.ip)) || confirmed.has(ban.ip)),
        ...[...confirmed.values()].filter((ban) => !listed.has(hostCidr(ban.ip))),
      ];
      return planIpSet(effective, current, capacity);
    });
  }

  /** Adds the bans each set lacks, keeping everything it holds. */
  async add(bans: readonly TargetBan[]): Promise<TargetSyncResult> {
    return this.run(bans, (family, capacity) => async (current) => planIpSetAddition(family, current, capacity));
  }

  /** Removes those of `ips` that the store, read after the set, finds without a ban in force. */
  async remove(ips: readonly string[], lookup: BanLookup): Promise<TargetSyncResult> {
    const asBans = ips.map((ip) => ({ ip, bannedAt: 0 }));
    return this.run(asBans, (family) => async (current) => {
      const held = new Set(current.map((entry) => canonicalCidr(entry) ?? entry));
      const present = family.map((ban) => ban.ip).filter((ip) => held.has(hostCidr(ip)));
      if (present.length === 0) return planIpSetRemoval([], current);
      const stillBanned = await lookup(present);
      return planIpSetRemoval(
        present.filter((ip) => !stillBanned.has(ip)),
        current,
      );
    });
  }

  private async run(
    bans: readonly TargetBan[],
    planner: (family: readonly TargetBan[], capacity: number) => SetPlanner,
  ): Promise<TargetSyncResult> {
    const capacity = Math.min(this.options.capacity ?? WAF_IP_SET_CAPACITY, WAF_IP_SET_CAPACITY);
    const v4 = bans.filter((ban) => ipFamily(ban.ip) === 4);
    const v6 = bans.filter((ban) => ipFamily(ban.ip) === 6);
    const invalid = bans.filter((ban) => !ipFamily(ban.ip));
    const outcomes = [
      await this.syncSet(this.options.ipv4, v4, planner(v4, capacity), capacity),
      await this.syncSet(this.options.ipv6, v6, planner(v6, capacity), capacity),
    ];
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

  private waf(): Promise<WAFV2Client> {
    const { client } = this.options;
    this.client ??= typeof client === "function" ? client() : Promise.resolve(client);
    return this.client;
  }

  private async syncSet(
    set: WafIpSetRef,
    family: readonly TargetBan[],
    planner: SetPlanner,
    capacity: number,
  ): Promise<SetOutcome> {
    const { scope } = this.options;
    let writes = 0;
    // What the last successful read showed, so that a failed write still credits bans the set already holds.
    let lastSeen = new Set<string>();
    let lastPlan: IpSetPlan | undefined;
    const warnings: string[] = [];
    try {
      const { GetIPSetCommand, UpdateIPSetCommand } = await wafCommands();
      const client = await this.waf();
      await withRetry(
        async () => {
          const got = await client.send(new GetIPSetCommand({ Name: set.name, Id: set.id, Scope: scope }));
          const current = got.IPSet?.Addresses ?? [];
          const plan = await planner(current);
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
      if (!lastPlan) {
        // not even one read succeeded: nothing is known about this set
        return {
          enforced: [],
          overflow: [],
          failed: family.map((ban) => ({ ip: ban.ip, reason })),
          warnings: [reason],
          writes,
        };
      }
      const { ipByCidr } = lastPlan;
      const failed = [...ipByCidr].filter(([cidr]) => !lastSeen.has(cidr)).map(([, ip]) => ({ ip, reason }));
      return {
        enforced: [...lastSeen].flatMap((cidr) => ipByCidr.get(cidr) ?? []),
        overflow: [...lastPlan.overflow],
        failed,
        warnings: [...warnings, reason],
        writes,
      };
    }
    const plan = lastPlan!;
    if (plan.overflow.length > 0) {
      warnings.push(`${set.name}: ${plan.overflow.length} bans do not fit in ${capacity} addresses (oldest left out)`);
    }
    return { enforced: [...plan.ipByCidr.values()], overflow: [...plan.overflow], failed: [], warnings, writes };
  }
}

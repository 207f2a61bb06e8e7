// VPC network ACLs as a ban target. Security groups can only allow, so denying an address at the subnet edge takes a
// network ACL deny entry. EC2 has no batch write and no lock, so each entry is its own step: a new entry's rule number
// is first claimed in the store (acl-rule-registry.ts: no two cloudjail writers take one number, and only claimed
// entries are ever deleted, never the user's), then created. An entry is deleted only by the scheduled sync or an
// admin unban, only when the store, read after the ACL, finds no ban in force for it; and the store is asked once
// more after the delete, so that a ban recorded meanwhile is put back at once. A ban counts for this target only when
// every configured ACL carries it.
import type { EC2Client } from "@aws-sdk/client-ec2";
import { ConfigError } from "../../shared/errors.js";
import { canonicalCidr, canonicalIp, hostCidr, ipFamily } from "../address.js";
import type { AclRuleRegistry } from "./acl-rule-registry.js";
import type { BanLookup, BanTarget, TargetBan, TargetFailure, TargetSyncResult } from "./ban-target.js";
import { trustedLookup } from "./ban-target.js";
import {
  type AclCreate,
  type AclEntry,
  type AclPlan,
  type AclView,
  NACL_DEFAULT_RULE_LIMIT,
  type OwnedEntry,
  planAclAddition,
  planAclSync,
  type RuleRange,
  readAcl,
  ruleRangeProblem,
} from "./network-acl-plan.js";
import { errorMessage, isTransientAwsError, type RetryPolicy, withRetry } from "./retry.js";

/** Which ACLs to write and where in them. */
export interface NetworkAclTargetOptions {
  /** The client, or how to make it at the first call (so that a cold start does not load the EC2 SDK). */
  readonly client: EC2Client | (() => Promise<EC2Client>);
  /** Where cloudjail records the entries it created (the only ones it ever deletes). */
  readonly registry: AclRuleRegistry;
  /** The network ACLs of the protected subnets (`acl-...`). */
  readonly networkAclIds: readonly string[];
  /** Ingress rule numbers cloudjail may use; must come before the allow rules. */
  readonly ruleRange: RuleRange;
  /** Rules per direction and IP family in these ACLs (the account's quota). @default 20 */
  readonly ruleLimit?: number;
  readonly retry?: RetryPolicy;
  /** Epoch seconds, to date claims. @default the system clock */
  readonly clock?: () => number;
}

interface AclOutcome {
  enforced: Set<string>;
  overflow: string[];
  failed: TargetFailure[];
  warnings: string[];
  writes: number;
  foreign: number;
}

type Mode =
  | { readonly kind: "sync"; readonly bans: readonly TargetBan[]; readonly lookup: BanLookup }
  | { readonly kind: "add"; readonly bans: readonly TargetBan[] }
  | { readonly kind: "remove"; readonly ips: readonly string[]; readonly lookup: BanLookup };

// The EC2 SDK module is large: loaded at the first ACL call, not when the function starts.
const ec2Commands = () => import("@aws-sdk/client-ec2");

/** Bans as ingress deny entries in network ACLs. */
export class NetworkAclTarget implements BanTarget {
  readonly name: string;
  private readonly ruleLimit: number;
  private readonly clock: () => number;
  private client: Promise<EC2Client> | undefined;

  constructor(private readonly options: NetworkAclTargetOptions) {
    this.ruleLimit = options.ruleLimit ?? NACL_DEFAULT_RULE_LIMIT;
    this.clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
    const problem = ruleRangeProblem(options.ruleRange, this.ruleLimit);
    if (problem) throw new ConfigError(problem, { option: "networkAclRuleRange" });
    for (const id of options.networkAclIds) {
      if (!/^acl-[0-9a-f]{8,17}$/.test(id))
        throw new ConfigError(`${JSON.stringify(id)} is not a network ACL id (acl-...)`, { option: "networkAclIds" });
    }
    this.name = `nacl:${options.networkAclIds.join(",")}`;
  }

  /** The scheduled sync: the newest bans that fit, confirmed by `lookup` where the ACL and `bans` differ. */
  sync(bans: readonly TargetBan[], lookup: BanLookup = trustedLookup(bans)): Promise<TargetSyncResult> {
    return this.each(bans, { kind: "sync", bans, lookup });
  }

  /** Creates entries for the bans not yet denied; deletes nothing. */
  add(bans: readonly TargetBan[]): Promise<TargetSyncResult> {
    return this.each(bans, { kind: "add", bans });
  }

  /** Deletes cloudjail's entries for those of `ips` that `lookup` finds without a ban in force. */
  remove(ips: readonly string[], lookup: BanLookup): Promise<TargetSyncResult> {
    return this.each(
      ips.map((ip) => ({ ip, bannedAt: 0 })),
      { kind: "remove", ips, lookup },
    );
  }

  private async each(bans: readonly TargetBan[], mode: Mode): Promise<TargetSyncResult> {
    const outcomes: AclOutcome[] = [];
    for (const id of this.options.networkAclIds) {
      try {
        outcomes.push(await this.syncAcl(id, mode));
      } catch (error) {
        // The ACL or the claims could not be read: nothing is known, every ban of this call is pending there.
        const reason = `${id}: ${errorMessage(error)}`;
        const failed = mode.kind === "remove" ? [] : bans.map((ban) => ({ ip: ban.ip, reason }));
        outcomes.push({ enforced: new Set(), overflow: [], failed, warnings: [reason], writes: 0, foreign: 0 });
      }
    }
    const wanted = mode.kind === "remove" ? [] : bans.map((ban) => ban.ip);
    const everywhere = wanted.filter((ip) => outcomes.length > 0 && outcomes.every((o) => o.enforced.has(ip)));
    const failed = new Map<string, TargetFailure>();
    for (const outcome of outcomes) for (const failure of outcome.failed) failed.set(failure.ip, failure);
    return {
      target: this.name,
      enforced: [...new Set(everywhere)],
      overflow: [...new Set(outcomes.flatMap((o) => o.overflow))].filter((ip) => !failed.has(ip)),
      failed: [...failed.values()],
      warnings: outcomes.flatMap((o) => o.warnings),
      writes: outcomes.reduce((sum, o) => sum + o.writes, 0),
      foreignRules: outcomes.reduce((sum, o) => sum + o.foreign, 0),
    };
  }

  private ec2(): Promise<EC2Client> {
    const { client } = this.options;
    this.client ??= typeof client === "function" ? client() : Promise.resolve(client);
    return this.client;
  }

  private call<T>(run: () => Promise<T>): Promise<T> {
    // the client makes one attempt (ONE_SDK_ATTEMPT): this is the only level of retries
    return withRetry(run, isTransientAwsError, this.options.retry);
  }

  private async describe(id: string): Promise<AclEntry[]> {
    const { DescribeNetworkAclsCommand } = await ec2Commands();
    const client = await this.ec2();
    const described = await this.call(() => client.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [id] })));
    const acl = described.NetworkAcls?.find((candidate) => candidate.NetworkAclId === id);
    if (!acl) throw new Error(`network ACL ${id} not found`);
    return (acl.Entries ?? []).map((entry) => ({
      ruleNumber: entry.RuleNumber ?? 0,
      egress: entry.Egress ?? false,
      ruleAction: entry.RuleAction ?? "",
      protocol: entry.Protocol ?? "",
      ...(entry.CidrBlock !== undefined ? { cidrBlock: entry.CidrBlock } : {}),
      ...(entry.Ipv6CidrBlock !== undefined ? { ipv6CidrBlock: entry.Ipv6CidrBlock } : {}),
    }));
  }

  private async view(id: string): Promise<AclView> {
    const [entries, claims] = await Promise.all([this.describe(id), this.options.registry.claims(id)]);
    return readAcl(entries, claims, this.options.ruleRange, this.ruleLimit, this.clock());
  }

  private async syncAcl(id: string, mode: Mode): Promise<AclOutcome> {
    const view = await this.view(id);
    const outcome: AclOutcome = {
      enforced: new Set(),
      overflow: [],
      failed: [],
      warnings: view.warnings.map((warning) => `${id}: ${warning}`),
      writes: 0,
      foreign: view.foreign.length,
    };
    const { plan, recheck } = await this.plan(view, mode);
    for (const ip of plan.kept) outcome.enforced.add(ip);
    outcome.overflow.push(...plan.overflow);
    if (mode.kind === "sync") {
      for (const claim of view.stale) await this.options.registry.release(id, claim.ruleNumber, claim.cidr);
    }
    const taken = new Set(view.taken);
    const deleted: OwnedEntry[] = [];
    for (const entry of plan.deletes) {
      if (await this.deleteEntry(id, entry, outcome)) {
        deleted.push(entry);
        taken.delete(entry.ruleNumber);
      }
    }
    for (const create of plan.creates) await this.createEntry(id, create, taken, outcome);
    const rechecked = deleted.filter((entry) => recheck.has(entry.ip));
    if (rechecked.length > 0 && mode.kind !== "add") {
      // A ban recorded between our question and the delete: put it back now rather than at the next sync.
      const banned = await mode.lookup(rechecked.map((entry) => entry.ip));
      for (const entry of rechecked) {
        if (!banned.has(entry.ip)) continue;
        outcome.warnings.push(`${id}: ${entry.ip} was banned again while its entry was deleted; entry created again`);
        await this.createEntry(id, entry, taken, outcome);
      }
    }
    return outcome;
  }

  /** The plan, and the addresses deleted because the store found no ban (asked again after the delete). */
  private async plan(view: AclView, mode: Mode): Promise<{ plan: AclPlan; recheck: ReadonlySet<string> }> {
    const range = this.options.ruleRange;
    if (mode.kind === "add") return { plan: planAclAddition(view, mode.bans, range), recheck: new Set() };
    const heldIps = new Set(view.owned.map((entry) => entry.ip));
    if (mode.kind === "remove") {
      const present = [...new Set(mode.ips.filter((ip) => ipFamily(ip)).map(canonicalIp))].filter((ip) =>
        heldIps.has(ip),
      );
      const banned = present.length ? await mode.lookup(present) : new Map<string, TargetBan>();
      const leaving = new Set(present.filter((ip) => !banned.has(ip)));
      const deletes = view.owned.filter((entry) => leaving.has(entry.ip));
      return { plan: { deletes, creates: [], kept: [], overflow: [] }, recheck: leaving };
    }
    // Where the list and the ACL differ, the store (read now, after the ACL) decides.
    const valid = mode.bans.filter((ban) => ipFamily(ban.ip));
    const listed = new Map(valid.map((ban) => [hostCidr(ban.ip), ban]));
    const questioned = [
      ...valid.filter((ban) => !heldIps.has(canonicalIp(ban.ip))).map((ban) => ban.ip),
      ...view.owned.filter((entry) => !listed.has(entry.cidr)).map((entry) => entry.ip),
    ];
    const confirmed = questioned.length ? await mode.lookup(questioned) : new Map<string, TargetBan>();
    const effective = [
      ...valid.filter((ban) => heldIps.has(canonicalIp(ban.ip)) || confirmed.has(ban.ip)),
      ...[...confirmed.values()].filter((ban) => !listed.has(hostCidr(ban.ip))),
    ];
    // Entries deleted for room or as duplicates stand for bans in force: only the others are asked again.
    const inForce = new Set(effective.map((ban) => canonicalIp(ban.ip)));
    const plan = planAclSync(view, effective, range);
    return { plan, recheck: new Set(plan.deletes.map((entry) => entry.ip).filter((ip) => !inForce.has(ip))) };
  }

  private async deleteEntry(id: string, entry: OwnedEntry, outcome: AclOutcome): Promise<boolean> {
    const { DeleteNetworkAclEntryCommand } = await ec2Commands();
    const client = await this.ec2();
    outcome.writes++;
    try {
      await this.call(() =>
        client.send(
          new DeleteNetworkAclEntryCommand({ NetworkAclId: id, RuleNumber: entry.ruleNumber, Egress: false }),
        ),
      );
    } catch (error) {
      if (!(error instanceof Error && error.name === "InvalidNetworkAclEntry.NotFound")) {
        outcome.warnings.push(
          `${id}: delete rule ${entry.ruleNumber} (${entry.cidr}): ${errorMessage(error)} (the entry stays until the next sync)`,
        );
        return false;
      }
      // already gone (a concurrent delete): the claim goes too
    }
    await this.options.registry.release(id, entry.ruleNumber, entry.cidr);
    return true;
  }

  /**
   * Claims the first free number and creates the entry there. A number claimed by another cloudjail writer, or
   * holding an entry that appeared since the read (NetworkAclEntryAlreadyExists), is skipped for the next one; an
   * AlreadyExists for our own block at our number (a retried call whose first attempt went through) is success.
   */
  private async createEntry(id: string, create: AclCreate, taken: Set<number>, outcome: AclOutcome): Promise<void> {
    const { ruleRange, registry } = this.options;
    const { CreateNetworkAclEntryCommand } = await ec2Commands();
    const client = await this.ec2();
    for (let n = ruleRange.first; n <= ruleRange.last; n++) {
      if (taken.has(n)) continue;
      taken.add(n);
      if (!(await registry.claim(id, { ruleNumber: n, cidr: create.cidr, claimedAt: this.clock() }))) continue;
      outcome.writes++;
      try {
        await this.call(() =>
          client.send(
            new CreateNetworkAclEntryCommand({
              NetworkAclId: id,
              RuleNumber: n,
              Egress: false,
              Protocol: "-1",
              RuleAction: "deny",
              ...(create.family === 4 ? { CidrBlock: create.cidr } : { Ipv6CidrBlock: create.cidr }),
            }),
          ),
        );
        outcome.enforced.add(create.ip);
        return;
      } catch (error) {
        const name = error instanceof Error ? error.name : "";
        if (name === "NetworkAclEntryAlreadyExists") {
          const entries = await this.describe(id);
          const there = entries.find((entry) => !entry.egress && entry.ruleNumber === n);
          const ours =
            there?.ruleAction === "deny" &&
            there.protocol === "-1" &&
            canonicalCidr(there.cidrBlock ?? there.ipv6CidrBlock ?? "") === create.cidr;
          if (ours) {
            outcome.enforced.add(create.ip);
            return;
          }
          await registry.release(id, n, create.cidr);
          continue;
        }
        const reason = `${id}: create rule ${n} (${create.cidr}): ${errorMessage(error)}`;
        if (name === "NetworkAclEntryLimitExceeded" || name === "InvalidParameterValue") {
          // certainly not created: the number is free again
          await registry.release(id, n, create.cidr);
        }
        if (name === "NetworkAclEntryLimitExceeded") {
          // other writers filled the ACL since our read: no room, as overflow (the scheduled sync keeps the newest)
          outcome.overflow.push(create.ip);
          outcome.warnings.push(reason);
          return;
        }
        // Otherwise the call may have gone through unseen: the claim stays, so the entry stays ours; a claim whose
        // entry never came is dropped by the scheduled sync after CLAIM_GRACE_SECONDS.
        outcome.failed.push({ ip: create.ip, reason });
        return;
      }
    }
    outcome.overflow.push(create.ip);
    outcome.warnings.push(`${id}: no free rule number left in ${ruleRange.first}-${ruleRange.last} for ${create.ip}`);
  }
}

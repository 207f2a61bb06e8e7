// VPC network ACLs as a ban target. Security groups can only allow, so denying an address at the subnet edge takes a
// network ACL deny entry. Each ACL is read, planned and changed entry by entry (EC2 has no batch write); a ban counts
// for this target only when every configured ACL carries it.
import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  type EC2Client,
  ReplaceNetworkAclEntryCommand,
} from "@aws-sdk/client-ec2";
import { ConfigError } from "../../shared/errors.js";
import type { BanTarget, TargetBan, TargetFailure, TargetSyncResult } from "./ban-target.js";
import {
  type AclChange,
  type AclEntry,
  NACL_DEFAULT_RULE_LIMIT,
  planNetworkAcl,
  type RuleRange,
  ruleRangeProblem,
} from "./network-acl-plan.js";
import { errorMessage, isThrottlingError, type RetryPolicy, withRetry } from "./retry.js";

/** Which ACLs to write and where in them. */
export interface NetworkAclTargetOptions {
  readonly client: EC2Client;
  /** The network ACLs of the protected subnets (`acl-...`). */
  readonly networkAclIds: readonly string[];
  /** Ingress rule numbers cloudjail owns; must come before the allow rules. */
  readonly ruleRange: RuleRange;
  /** Rules per direction and IP family in these ACLs (the account's quota). @default 20 */
  readonly ruleLimit?: number;
  readonly retry?: RetryPolicy;
}

interface AclOutcome {
  enforced: Set<string>;
  overflow: string[];
  failed: TargetFailure[];
  warnings: string[];
  writes: number;
}

/** Bans as ingress deny entries in network ACLs. */
export class NetworkAclTarget implements BanTarget {
  readonly name: string;
  private readonly ruleLimit: number;

  constructor(private readonly options: NetworkAclTargetOptions) {
    this.ruleLimit = options.ruleLimit ?? NACL_DEFAULT_RULE_LIMIT;
    const problem = ruleRangeProblem(options.ruleRange, this.ruleLimit);
    if (problem) throw new ConfigError(problem, { option: "networkAclRuleRange" });
    for (const id of options.networkAclIds) {
      if (!/^acl-[0-9a-f]{8,17}$/.test(id))
        throw new ConfigError(`${JSON.stringify(id)} is not a network ACL id (acl-...)`, { option: "networkAclIds" });
    }
    this.name = `nacl:${options.networkAclIds.join(",")}`;
  }

  /** Brings every ACL's ban range to the newest bans that fit; each ACL is planned from a fresh read. */
  async sync(bans: readonly TargetBan[]): Promise<TargetSyncResult> {
    const outcomes: AclOutcome[] = [];
    for (const id of this.options.networkAclIds) outcomes.push(await this.syncAcl(id, bans));
    const everywhere = bans
      .map((ban) => ban.ip)
      .filter((ip) => outcomes.length > 0 && outcomes.every((outcome) => outcome.enforced.has(ip)));
    const failed = new Map<string, TargetFailure>();
    for (const outcome of outcomes) for (const failure of outcome.failed) failed.set(failure.ip, failure);
    return {
      target: this.name,
      enforced: [...new Set(everywhere)],
      overflow: [...new Set(outcomes.flatMap((o) => o.overflow))].filter((ip) => !failed.has(ip)),
      failed: [...failed.values()],
      warnings: outcomes.flatMap((o) => o.warnings),
      writes: outcomes.reduce((sum, o) => sum + o.writes, 0),
    };
  }

  private call<T>(run: () => Promise<T>): Promise<T> {
    return withRetry(run, isThrottlingError, this.options.retry);
  }

  private async syncAcl(id: string, bans: readonly TargetBan[]): Promise<AclOutcome> {
    const { client } = this.options;
    let entries: AclEntry[];
    try {
      const described = await this.call(() => client.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [id] })));
      const acl = described.NetworkAcls?.find((candidate) => candidate.NetworkAclId === id);
      if (!acl) throw new Error(`network ACL ${id} not found`);
      entries = (acl.Entries ?? []).map((entry) => ({
        ruleNumber: entry.RuleNumber ?? 0,
        egress: entry.Egress ?? false,
        ruleAction: entry.RuleAction ?? "",
        protocol: entry.Protocol ?? "",
        ...(entry.CidrBlock !== undefined ? { cidrBlock: entry.CidrBlock } : {}),
        ...(entry.Ipv6CidrBlock !== undefined ? { ipv6CidrBlock: entry.Ipv6CidrBlock } : {}),
      }));
    } catch (error) {
      const reason = `${id}: ${errorMessage(error)}`;
      return {
        enforced: new Set(),
        overflow: [],
        failed: bans.map((ban) => ({ ip: ban.ip, reason })),
        warnings: [reason],
        writes: 0,
      };
    }
    const plan = planNetworkAcl(entries, bans, this.options.ruleRange, this.ruleLimit);
    const outcome: AclOutcome = {
      enforced: new Set(plan.kept),
      overflow: [...plan.overflow],
      failed: [],
      warnings: plan.warnings.map((warning) => `${id}: ${warning}`),
      writes: 0,
    };
    for (const change of plan.changes) {
      outcome.writes++;
      try {
        await this.call(() => this.write(id, change));
        if (change.ip) outcome.enforced.add(change.ip);
      } catch (error) {
        const reason = `${id}: ${change.kind} rule ${change.ruleNumber}: ${errorMessage(error)}`;
        if (change.ip) outcome.failed.push({ ip: change.ip, reason });
        else outcome.warnings.push(`${reason} (the entry stays until the next sync)`);
      }
    }
    return outcome;
  }

  private write(id: string, change: AclChange): Promise<unknown> {
    const { client } = this.options;
    if (change.kind === "delete") {
      return client.send(
        new DeleteNetworkAclEntryCommand({ NetworkAclId: id, RuleNumber: change.ruleNumber, Egress: false }),
      );
    }
    const input = {
      NetworkAclId: id,
      RuleNumber: change.ruleNumber,
      Egress: false,
      Protocol: "-1",
      RuleAction: "deny" as const,
      ...(change.family === 4 ? { CidrBlock: change.cidr } : { Ipv6CidrBlock: change.cidr }),
    };
    if (change.kind === "create") return client.send(new CreateNetworkAclEntryCommand(input));
    return client.send(new ReplaceNetworkAclEntryCommand(input));
  }
}

// Pure planning of the deny entries of one network ACL. cloudjail owns a configured range of ingress rule numbers,
// placed ahead of the allow rules; every entry in that range is either a ban to keep or something to replace or
// delete. Room is short (20 rules per direction and IP family by default, 40 at most, counting rules outside the range
// and the default deny rule), so the newest bans get it and the rest is reported as overflow (WAF still holds them).
import { canonicalCidr, hostCidr, type IpFamily, ipFamily } from "../address.js";
import { newestFirst, type TargetBan } from "./ban-target.js";

/** Default rules per direction and IP family per network ACL (an adjustable quota, 40 at most). */
export const NACL_DEFAULT_RULE_LIMIT = 20;
/** Highest rule limit AWS grants per direction and family. */
export const NACL_MAX_RULE_LIMIT = 40;
/** Highest rule number a user may create (32767 is the default deny rule). */
export const NACL_MAX_RULE_NUMBER = 32766;

/** An entry of a network ACL as DescribeNetworkAcls returns it (only the fields the plan reads). */
export interface AclEntry {
  readonly ruleNumber: number;
  readonly egress: boolean;
  readonly ruleAction: "allow" | "deny" | string;
  readonly protocol: string;
  readonly cidrBlock?: string;
  readonly ipv6CidrBlock?: string;
}

/** The rule numbers cloudjail owns, inclusive. */
export interface RuleRange {
  readonly first: number;
  readonly last: number;
}

/** One write to make. `replace` reuses the rule number of an obsolete entry of the same family. */
export interface AclChange {
  readonly kind: "create" | "replace" | "delete";
  readonly ruleNumber: number;
  readonly family: IpFamily;
  /** The new deny block (absent for delete). */
  readonly cidr?: string;
  /** The ban address the new block stands for (absent for delete). */
  readonly ip?: string;
}

/** What one network ACL must become. */
export interface AclPlan {
  /** Writes in the order to make them: replaces, then deletes (they free room), then creates. */
  readonly changes: readonly AclChange[];
  /** Ban addresses already denied by an entry in the range (nothing to do). */
  readonly kept: readonly string[];
  /** Ban addresses left out for lack of room. */
  readonly overflow: readonly string[];
  /** Rule-order problems that weaken the bans. */
  readonly warnings: readonly string[];
}

function entryFamily(entry: AclEntry): IpFamily | undefined {
  if (entry.cidrBlock !== undefined) return 4;
  if (entry.ipv6CidrBlock !== undefined) return 6;
  return undefined;
}

function entryCidr(entry: AclEntry): string | undefined {
  const block = entry.cidrBlock ?? entry.ipv6CidrBlock;
  return block === undefined ? undefined : canonicalCidr(block);
}

/** True for an entry that denies all traffic from one block: the only shape cloudjail writes. */
function isBanEntry(entry: AclEntry): boolean {
  return !entry.egress && entry.ruleAction === "deny" && entry.protocol === "-1";
}

/** Checks a configured range and limit; returns the reason they are unusable, or undefined. */
export function ruleRangeProblem(range: RuleRange, ruleLimit: number): string | undefined {
  const { first, last } = range;
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last > NACL_MAX_RULE_NUMBER || first > last) {
    return `rule range ${first}-${last} must be whole numbers with 1 <= first <= last <= ${NACL_MAX_RULE_NUMBER}`;
  }
  if (!Number.isInteger(ruleLimit) || ruleLimit < 2 || ruleLimit > NACL_MAX_RULE_LIMIT) {
    return `rule limit ${ruleLimit} must be a whole number from 2 to ${NACL_MAX_RULE_LIMIT} (the AWS quota per direction and IP family)`;
  }
  return undefined;
}

/**
 * Plans the ingress deny entries of one ACL so that the range holds the newest bans that fit: per family, the room is
 * `ruleLimit` minus the ingress entries of that family outside the range (the default deny rule included), and the
 * range itself must have a free number.
 */
export function planNetworkAcl(
  entries: readonly AclEntry[],
  bans: readonly TargetBan[],
  range: RuleRange,
  ruleLimit: number = NACL_DEFAULT_RULE_LIMIT,
): AclPlan {
  const ingress = entries.filter((entry) => !entry.egress);
  const inRange = ingress.filter((entry) => entry.ruleNumber >= range.first && entry.ruleNumber <= range.last);
  const outside = ingress.filter((entry) => !inRange.includes(entry));
  const room: Record<IpFamily, number> = { 4: ruleLimit, 6: ruleLimit };
  for (const entry of outside) {
    const family = entryFamily(entry);
    if (family) room[family]--;
  }
  let slots = range.last - range.first + 1;

  // Grant room newest first.
  const chosen = new Map<string, { ip: string; family: IpFamily }>();
  const overflow: string[] = [];
  for (const ban of newestFirst(bans)) {
    const family = ipFamily(ban.ip);
    if (!family) continue;
    const cidr = hostCidr(ban.ip);
    if (chosen.has(cidr)) continue;
    if (room[family] > 0 && slots > 0) {
      chosen.set(cidr, { ip: ban.ip, family });
      room[family]--;
      slots--;
    } else {
      overflow.push(ban.ip);
    }
  }

  const kept: string[] = [];
  const present = new Set<string>();
  const obsolete: AclEntry[] = [];
  for (const entry of [...inRange].sort((a, b) => a.ruleNumber - b.ruleNumber)) {
    const cidr = entryCidr(entry);
    const wanted = cidr !== undefined && isBanEntry(entry) ? chosen.get(cidr) : undefined;
    if (wanted && cidr && !present.has(cidr)) {
      present.add(cidr);
      kept.push(wanted.ip);
    } else {
      obsolete.push(entry);
    }
  }
  const missing = [...chosen].filter(([cidr]) => !present.has(cidr));

  const replaces: AclChange[] = [];
  const deletes: AclChange[] = [];
  const creates: AclChange[] = [];
  const toPlace = [...missing];
  for (const entry of obsolete) {
    const family = entryFamily(entry) ?? 4;
    const index = toPlace.findIndex(([, wanted]) => wanted.family === family);
    const match = index >= 0 ? toPlace.splice(index, 1)[0] : undefined;
    if (match) {
      const [cidr, { ip }] = match;
      replaces.push({ kind: "replace", ruleNumber: entry.ruleNumber, family, cidr, ip });
    } else {
      deletes.push({ kind: "delete", ruleNumber: entry.ruleNumber, family });
    }
  }
  const taken = new Set(replaces.map((change) => change.ruleNumber));
  for (const entry of inRange) if (!deletes.some((d) => d.ruleNumber === entry.ruleNumber)) taken.add(entry.ruleNumber);
  let next = range.first;
  for (const [cidr, { ip, family }] of toPlace) {
    while (taken.has(next)) next++;
    taken.add(next);
    creates.push({ kind: "create", ruleNumber: next, family, cidr, ip });
  }

  const warnings = outside
    .filter((entry) => entry.ruleAction === "allow" && entry.ruleNumber < range.first)
    .map(
      (entry) =>
        `ingress allow rule ${entry.ruleNumber} comes before the ban range ${range.first}-${range.last}: traffic it allows is never denied`,
    );
  return { changes: [...replaces, ...deletes, ...creates], kept, overflow, warnings };
}

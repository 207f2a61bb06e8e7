// Pure planning of the deny entries of one network ACL. cloudjail writes in a configured range of ingress rule
// numbers, placed ahead of the allow rules, but owns only the entries it claimed (acl-rule-registry.ts): anything else
// in the range is the user's, left alone, its number skipped and reported. Room is short (20 rules per direction and
// IP family by default, 40 at most, counting every ingress rule of the family and the default deny rule), so the
// newest bans get it and the rest is reported as overflow (WAF still holds them).
import { canonicalCidr, hostCidr, type IpFamily, ipFamily } from "../address.js";
import type { RuleClaim } from "./acl-rule-registry.js";
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
export function isBanEntry(entry: AclEntry): boolean {
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

/** How long a claim may wait for its entry before the scheduled sync takes it for a crash's leftover, seconds. */
export const CLAIM_GRACE_SECONDS = 300;

/** An entry of the range that cloudjail claimed and that still denies the claimed block. */
export interface OwnedEntry {
  readonly ruleNumber: number;
  readonly family: IpFamily;
  readonly cidr: string;
  /** The address the block stands for. */
  readonly ip: string;
}

/** One ACL as cloudjail sees it: its own entries, the user's, and what is left. */
export interface AclView {
  readonly owned: readonly OwnedEntry[];
  /** Ingress entries in the range that are not cloudjail's (the user's): never touched. */
  readonly foreign: readonly AclEntry[];
  /** Rule numbers in the range that are in use or claimed. */
  readonly taken: ReadonlySet<number>;
  /** Rules still allowed per family: the quota minus every ingress entry of the family and the claims in flight. */
  readonly room: Readonly<Record<IpFamily, number>>;
  /** Claims whose entry does not exist yet (another writer is creating it). */
  readonly inFlight: readonly RuleClaim[];
  /** Claims to drop: their number holds someone else's entry, or their entry never came (a crash). */
  readonly stale: readonly RuleClaim[];
  /** Rule-order problems that weaken the bans, and the user's rules in the range. */
  readonly warnings: readonly string[];
}

function isClaimedEntry(entry: AclEntry, claim: RuleClaim | undefined): claim is RuleClaim {
  return claim !== undefined && isBanEntry(entry) && entryCidr(entry) === claim.cidr;
}

/**
 * Sorts the ingress entries of one ACL into cloudjail's (claimed, and still the claimed deny) and the user's, and
 * counts the room left. `now` dates the claims: one without entry older than `grace` seconds is stale.
 */
export function readAcl(
  entries: readonly AclEntry[],
  claims: readonly RuleClaim[],
  range: RuleRange,
  ruleLimit: number = NACL_DEFAULT_RULE_LIMIT,
  now: number = Number.POSITIVE_INFINITY,
  grace: number = CLAIM_GRACE_SECONDS,
): AclView {
  const ingress = entries.filter((entry) => !entry.egress);
  const claimByNumber = new Map(claims.map((claim) => [claim.ruleNumber, claim]));
  const inRange = (n: number) => n >= range.first && n <= range.last;
  const room: Record<IpFamily, number> = { 4: ruleLimit, 6: ruleLimit };
  const owned: OwnedEntry[] = [];
  const foreign: AclEntry[] = [];
  const taken = new Set<number>();
  const stale: RuleClaim[] = [];
  for (const entry of ingress) {
    const family = entryFamily(entry);
    if (family) room[family]--;
    if (!inRange(entry.ruleNumber)) continue;
    taken.add(entry.ruleNumber);
    const claim = claimByNumber.get(entry.ruleNumber);
    if (isClaimedEntry(entry, claim) && family) {
      owned.push({
        ruleNumber: entry.ruleNumber,
        family,
        cidr: claim.cidr,
        ip: claim.cidr.slice(0, claim.cidr.indexOf("/")),
      });
    } else {
      foreign.push(entry);
      if (claim) stale.push(claim);
    }
  }
  const inFlight: RuleClaim[] = [];
  const present = new Set(ingress.map((entry) => entry.ruleNumber));
  for (const claim of claims) {
    if (present.has(claim.ruleNumber)) continue;
    if (now - claim.claimedAt > grace) {
      stale.push(claim);
      continue;
    }
    inFlight.push(claim);
    taken.add(claim.ruleNumber);
    const family = claim.cidr.includes(":") ? 6 : 4;
    room[family]--;
  }
  const warnings = [
    ...ingress
      .filter((entry) => entry.ruleAction === "allow" && entry.ruleNumber < range.first)
      .map(
        (entry) =>
          `ingress allow rule ${entry.ruleNumber} comes before the ban range ${range.first}-${range.last}: traffic it allows is never denied`,
      ),
    ...foreign.map(
      (entry) =>
        `ingress rule ${entry.ruleNumber} (${entry.ruleAction} ${entry.cidrBlock ?? entry.ipv6CidrBlock ?? "?"}) in the ban range ${range.first}-${range.last} was not created by cloudjail: left alone, its number skipped`,
    ),
  ];
  return { owned, foreign, taken, room, inFlight, stale, warnings };
}

/** A deny entry to create (its rule number is chosen when it is claimed). */
export interface AclCreate {
  readonly family: IpFamily;
  readonly cidr: string;
  readonly ip: string;
}

/** What one ACL must become. */
export interface AclPlan {
  /** cloudjail's entries to delete (obsolete, duplicated, or evicted for a newer ban); made first, they free room. */
  readonly deletes: readonly OwnedEntry[];
  /** Entries to create, newest ban first. */
  readonly creates: readonly AclCreate[];
  /** Ban addresses already denied by one of cloudjail's entries (nothing to do). */
  readonly kept: readonly string[];
  /** Ban addresses left out for lack of room. */
  readonly overflow: readonly string[];
}

function chooseNewest(
  bans: readonly TargetBan[],
  room: Record<IpFamily, number>,
  slots: number,
): { chosen: Map<string, AclCreate>; overflow: string[] } {
  const chosen = new Map<string, AclCreate>();
  const overflow: string[] = [];
  for (const ban of newestFirst(bans)) {
    const family = ipFamily(ban.ip);
    if (!family) continue;
    const cidr = hostCidr(ban.ip);
    if (chosen.has(cidr)) continue;
    if (room[family] > 0 && slots > 0) {
      chosen.set(cidr, { family, cidr, ip: ban.ip });
      room[family]--;
      slots--;
    } else overflow.push(ban.ip);
  }
  return { chosen, overflow };
}

/**
 * Plans the scheduled sync of one ACL: the newest of `bans` that fit (cloudjail's own entries count as room, the
 * user's and the claims in flight do not), keeping entries that already deny a chosen block and deleting cloudjail's
 * other entries. `bans` must be confirmed by the store: every entry not chosen is deleted.
 */
export function planAclSync(view: AclView, bans: readonly TargetBan[], range: RuleRange): AclPlan {
  const room = { ...view.room };
  for (const entry of view.owned) room[entry.family]++;
  const rangeSize = range.last - range.first + 1;
  const slots = rangeSize - view.foreign.length - view.inFlight.length;
  const { chosen, overflow } = chooseNewest(bans, room, slots);
  const kept: string[] = [];
  const deletes: OwnedEntry[] = [];
  const held = new Set<string>();
  for (const entry of [...view.owned].sort((a, b) => a.ruleNumber - b.ruleNumber)) {
    const wanted = chosen.get(entry.cidr);
    if (wanted && !held.has(entry.cidr)) {
      held.add(entry.cidr);
      kept.push(wanted.ip);
    } else deletes.push(entry);
  }
  const creates = [...chosen.values()].filter((create) => !held.has(create.cidr));
  return { deletes, creates, kept, overflow };
}

/**
 * Plans an addition to one ACL: bans not yet denied by cloudjail's entries get a new entry, newest first, while room
 * and free numbers last; nothing is deleted (the scheduled sync evicts older bans for newer ones).
 */
export function planAclAddition(view: AclView, bans: readonly TargetBan[], range: RuleRange): AclPlan {
  const held = new Map(view.owned.map((entry) => [entry.cidr, entry]));
  const missing = bans.filter((ban) => ipFamily(ban.ip) && !held.has(hostCidr(ban.ip)));
  const kept = bans.filter((ban) => ipFamily(ban.ip) && held.has(hostCidr(ban.ip))).map((ban) => ban.ip);
  const free = range.last - range.first + 1 - view.taken.size;
  const { chosen, overflow } = chooseNewest(missing, { ...view.room }, free);
  return { deletes: [], creates: [...chosen.values()], kept: [...new Set(kept)], overflow };
}

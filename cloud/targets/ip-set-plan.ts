// Pure planning of one WAF IP set update: which addresses the set must hold, what does not fit, and whether a write
// is needed at all (WAF writes are scarce, so an unchanged set is never rewritten).
import { canonicalCidr, hostCidr, parseCidr } from "../address.js";
import { newestFirst, type TargetBan } from "./ban-target.js";

/** WAF's limit of addresses per IP set. */
export const WAF_IP_SET_CAPACITY = 10_000;

/** What one IP set must become. */
export interface IpSetPlan {
  /** CIDR blocks the set must hold after the update, newest ban first. */
  readonly addresses: readonly string[];
  /** Ban address for each CIDR block in `addresses`. */
  readonly ipByCidr: ReadonlyMap<string, string>;
  /** Addresses that do not fit, oldest bans. */
  readonly overflow: readonly string[];
  /** CIDR blocks to add and to remove compared with `current`. */
  readonly toAdd: readonly string[];
  readonly toRemove: readonly string[];
  /** True when the set already equals the plan (no write needed). */
  readonly unchanged: boolean;
}

/**
 * Plans an IP set holding the newest `capacity` bans of `bans` (all of one IP family) as /32 or /128 blocks,
 * compared with the `current` addresses read from WAF (any spelling; malformed entries are removed).
 */
export function planIpSet(
  bans: readonly TargetBan[],
  current: readonly string[],
  capacity: number = WAF_IP_SET_CAPACITY,
): IpSetPlan {
  const ipByCidr = new Map<string, string>();
  const overflow: string[] = [];
  for (const ban of newestFirst(bans)) {
    const cidr = hostCidr(ban.ip);
    if (ipByCidr.has(cidr)) continue;
    if (ipByCidr.size < capacity) ipByCidr.set(cidr, ban.ip);
    else overflow.push(ban.ip);
  }
  const currentSet = new Set(current.map((entry) => canonicalCidr(entry) ?? `invalid:${entry}`));
  const toAdd = [...ipByCidr.keys()].filter((cidr) => !currentSet.has(cidr));
  const toRemove = current.filter((entry) => !ipByCidr.has(canonicalCidr(entry) ?? ""));
  return {
    addresses: [...ipByCidr.keys()],
    ipByCidr,
    overflow,
    toAdd,
    toRemove,
    unchanged: toAdd.length === 0 && toRemove.length === 0 && currentSet.size === current.length,
  };
}

/**
 * Plans an addition: the `current` addresses stay as they are (an addition never removes anything) and the bans not
 * yet held are added, newest first, while the set has room; the rest is overflow (the scheduled sync, which may
 * evict older bans, makes room for the newest).
 */
export function planIpSetAddition(
  bans: readonly TargetBan[],
  current: readonly string[],
  capacity: number = WAF_IP_SET_CAPACITY,
): IpSetPlan {
  const held = new Set(current.map((entry) => canonicalCidr(entry) ?? entry));
  const ipByCidr = new Map<string, string>();
  const toAdd: string[] = [];
  const overflow: string[] = [];
  for (const ban of newestFirst(bans)) {
    const cidr = hostCidr(ban.ip);
    if (ipByCidr.has(cidr)) continue;
    if (held.has(cidr)) ipByCidr.set(cidr, ban.ip);
    else if (current.length + toAdd.length < capacity) {
      ipByCidr.set(cidr, ban.ip);
      toAdd.push(cidr);
    } else overflow.push(ban.ip);
  }
  return {
    addresses: [...current, ...toAdd],
    ipByCidr,
    overflow,
    toAdd,
    toRemove: [],
    unchanged: toAdd.length === 0,
  };
}

/** Plans a removal: the host blocks of `ips` leave the set, nothing else changes. */
export function planIpSetRemoval(ips: readonly string[], current: readonly string[]): IpSetPlan {
  const leaving = new Set(ips.map(hostCidr));
  const toRemove = current.filter((entry) => leaving.has(canonicalCidr(entry) ?? ""));
  return {
    addresses: current.filter((entry) => !toRemove.includes(entry)),
    ipByCidr: new Map(),
    overflow: [],
    toAdd: [],
    toRemove,
    unchanged: toRemove.length === 0,
  };
}

/** The ban address a set entry stands for: the address of a single-host block, undefined for anything else. */
export function hostOfCidr(entry: string): string | undefined {
  const cidr = parseCidr(entry);
  if (!cidr) return undefined;
  return cidr.prefix === (cidr.family === 4 ? 32 : 128) ? cidr.address : undefined;
}

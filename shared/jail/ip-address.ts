import { isIPv4, isIPv6 } from "node:net";

/** An IPv4 or IPv6 address as a number, with its canonical text. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
  /** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
  readonly text: string;
}

/** An address range: `value` holds the network bits, the rest are zero. */
export interface IpNetwork {
  readonly family: 4 | 6;
  readonly value: bigint;
  readonly prefix: number;
}

/**
 * Parses an address the way fail2ban compares them: surrounding brackets and an IPv6 zone are dropped, and an
 * IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is the IPv4 address itself, so both spellings meet in one jail entry.
 * Returns undefined for anything else (host names included).
 */
export function parseIpAddress(input: string): IpAddress | undefined {
  let text = input.trim();
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const zone = text.indexOf("%");
  if (zone > 0 && text.includes(":")) text = text.slice(0, zone);
  if (isIPv4(text)) {
    const value = ipv4Value(text);
    return { family: 4, value, text: ipv4Text(value) };
  }
  if (!isIPv6(text)) return undefined;
  const value = ipv6Value(text);
  if (value >> 32n === 0xffffn) {
    const v4 = value & 0xffffffffn;
    return { family: 4, value: v4, text: ipv4Text(v4) };
  }
  return { family: 6, value, text: ipv6Text(value) };
}

/** The canonical text of an address, or the input unchanged when it is not an address (a failure id, a name). */
export function normalizeAddress(input: string): string {
  return parseIpAddress(input)?.text ?? input;
}

/**
 * Parses `addr/prefix`, `addr/dotted-netmask` (`10.0.0.0/255.255.0.0`, `ffff:ffff::` for IPv6) or a single address
 * (a network of one). Host bits are cleared, as fail2ban does. Returns undefined when the text is no address;
 * throws a RangeError when the address is one but the mask is not valid.
 */
export function parseIpNetwork(input: string): IpNetwork | undefined {
  const text = input.trim();
  const slash = text.indexOf("/");
  const address = parseIpAddress(slash < 0 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const bits = address.family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const mask = text.slice(slash + 1);
    if (/^\d{1,3}$/.test(mask)) prefix = Number(mask);
    else {
      const maskAddress = parseIpAddress(mask);
      if (!maskAddress || maskAddress.family !== address.family) throw new RangeError(`invalid netmask "${mask}"`);
      prefix = maskPrefix(maskAddress.value, bits, mask);
    }
    // An IPv4-mapped network written in IPv6 notation counts its prefix over 128 bits.
    if (address.family === 4 && text.slice(0, slash).includes(":") && /^\d+$/.test(mask)) prefix -= 96;
    if (prefix < 0 || prefix > bits) throw new RangeError(`invalid prefix length "${mask}"`);
  }
  return { family: address.family, value: address.value & networkMask(prefix, bits), prefix };
}

/** True when `address` lies in `network` (same family, same network bits). */
export function networkContains(network: IpNetwork, address: IpAddress): boolean {
  if (network.family !== address.family) return false;
  const bits = network.family === 4 ? 32 : 128;
  return (address.value & networkMask(network.prefix, bits)) === network.value;
}

function networkMask(prefix: number, bits: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ (all >> BigInt(prefix));
}

function maskPrefix(mask: bigint, bits: number, source: string): number {
  for (let prefix = 0; prefix <= bits; prefix++) {
    if (networkMask(prefix, bits) === mask) return prefix;
  }
  throw new RangeError(`netmask "${source}" is not a contiguous run of leading ones`);
}

function ipv4Value(text: string): bigint {
  return text.split(".").reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

function ipv6Value(text: string): bigint {
  let groups: string[];
  const lastColon = text.lastIndexOf(":");
  let tail: bigint | undefined;
  let head = text;
  if (text.slice(lastColon + 1).includes(".")) {
    tail = ipv4Value(text.slice(lastColon + 1));
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left = "", right] = head.split("::");
  const leftGroups = left === "" ? [] : left.split(":");
  if (right === undefined) groups = leftGroups;
  else {
    const rightGroups = right === "" ? [] : right.split(":");
    groups = [...leftGroups, ...Array(8 - leftGroups.length - rightGroups.length).fill("0"), ...rightGroups];
  }
  let value = groups.reduce((acc, group) => (acc << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
  if (tail !== undefined) value = (value & ~0xffffffffn) | tail;
  return value;
}

function ipv6Text(value: bigint): string {
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => Number((value >> shift) & 0xffffn));
  // RFC 5952: compress the longest run (the first one on ties) of two or more zero groups.
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

// IP addresses as the engine needs them: strict parsing, one canonical text form per address (so that the same
// attacker is one key everywhere: store, WAF set, firewall), and CIDR membership for ignore lists.

/** A parsed address: its family, canonical text and numeric value (BigInt so IPv6 fits). */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly text: string;
  readonly value: bigint;
}

/** A network: an address with a prefix length, e.g. 192.0.2.0/24 or 2001:db8::/32. */
export interface IpNetwork {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
  readonly text: string;
}

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function parseIpv4Value(text: string): bigint | undefined {
  if (!IPV4_RE.test(text)) return undefined;
  // digits and dots only (checked above): summed as a number, one BigInt made (this runs for every failure)
  let value = 0;
  let part = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x2e) {
      value = value * 256 + part;
      part = 0;
    } else part = part * 10 + code - 0x30;
  }
  return BigInt(value * 256 + part);
}

/** Linux interface names (at most 15 bytes) and numeric zone indexes. */
const ZONE_ID_RE = /^[0-9A-Za-z_.-]{1,15}$/;

function parseIpv6Value(input: string): bigint | undefined {
  let text = input;
  // A zone id names the local interface a link-local address was seen on. Firewalls and WAF cannot match on it, so
  // the address without it is the client's key (fail2ban instead keeps such text raw and cannot ban it). The zone
  // must look like an interface name (or index): attacker text after a '%' is refused, not carried along.
  const zone = text.indexOf("%");
  if (zone >= 0) {
    if (!ZONE_ID_RE.test(text.slice(zone + 1))) return undefined;
    text = text.slice(0, zone);
  }
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(":");
  if (lastColon >= 0 && text.includes(".", lastColon)) {
    tailV4 = parseIpv4Value(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(tailV4 >> 16n).toString(16)}:${(tailV4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const groups = halves.length === 2 ? head.length + tail.length : head.length;
  if (halves.length === 2 ? groups > 7 : groups !== 8) return undefined;
  const all = [...head, ...Array<string>(8 - groups).fill("0"), ...tail];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return value;
}

function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

/** RFC 5952 text: lower case, leading zeros dropped, the longest run of zero groups (2 or more) as `::`. */
function ipv6Text(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;

/**
 * Parses an IPv4 or IPv6 address (IPv6 may be written in brackets, with a zone id, which is dropped). IPv4-mapped
 * IPv6 addresses (`::ffff:a.b.c.d`) become the IPv4 address: it is the same client, and the firewall must see one
 * key. Returns undefined for anything else, including host names.
 */
export function parseIp(input: string): IpAddress | undefined {
  let text = input.trim();
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const v4 = parseIpv4Value(text);
  // the pattern admits no leading zero: a dotted quad it accepts is already the canonical text
  if (v4 !== undefined) return { family: 4, text, value: v4 };
  if (!text.includes(":")) return undefined;
  const v6 = parseIpv6Value(text);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === V4_MAPPED_PREFIX >> 32n) {
    const mapped = v6 & 0xffffffffn;
    return { family: 4, text: ipv4Text(mapped), value: mapped };
  }
  return { family: 6, text: ipv6Text(v6), value: v6 };
}

/** The canonical text of an address, or `input` unchanged when it is no address (a failure id, a host name). */
export function normalizeAddress(input: string): string {
  return normalizeIp(input) ?? input;
}

/** The canonical text of an address, or undefined when `input` is not an IP address. */
/** Whether `input` is an IPv4 address in its canonical dotted-quad form (what normalizeIp returns unchanged). */
export function isCanonicalIpv4(input: string): boolean {
  return IPV4_RE.test(input);
}

export function normalizeIp(input: string): string | undefined {
  // hot path: a plain dotted quad is already canonical (the pattern rejects leading zeros)
  if (IPV4_RE.test(input)) return input;
  return parseIp(input)?.text;
}

function maskOf(family: 4 | 6, prefix: number): bigint {
  const bits = family === 4 ? 32n : 128n;
  const hostBits = bits - BigInt(prefix);
  return ((1n << bits) - 1n) ^ ((1n << hostBits) - 1n);
}

/**
 * Parses `addr`, `addr/prefix` or `addr/dotted-netmask` (fail2ban's ignoreip forms). Host bits are cleared, as
 * firewalls and WAF do. Returns undefined for invalid input (including non-contiguous netmasks).
 */
export function parseNetwork(input: string): IpNetwork | undefined {
  const network = readNetwork(input);
  return typeof network === "string" ? undefined : network;
}

/**
 * Like {@link parseNetwork}, but says why: undefined when `input` holds no address at all (maybe a host name), a
 * RangeError when it does but the prefix or netmask is wrong.
 */
export function parseNetworkStrict(input: string): IpNetwork | undefined {
  const network = readNetwork(input);
  if (typeof network === "string") throw new RangeError(network);
  return network;
}

function readNetwork(input: string): IpNetwork | string | undefined {
  const [addressText, prefixText, ...rest] = input.trim().split("/");
  if (addressText === undefined) return undefined;
  const address = parseIp(addressText);
  if (!address) return undefined;
  if (rest.length > 0) return `too many '/' in "${input}"`;
  const maxPrefix = address.family === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (prefixText !== undefined) {
    if (/^\d{1,3}$/.test(prefixText)) {
      prefix = Number(prefixText);
      // a prefix written for ::ffff:a.b.c.d counts the 96 mapped bits
      if (address.family === 4 && addressText.includes(":")) prefix -= 96;
    } else {
      const mask = parseIp(prefixText);
      if (!mask || mask.family !== address.family) return `invalid netmask "${prefixText}"`;
      const bits = mask.value.toString(2).padStart(maxPrefix, "0");
      if (!/^1*0*$/.test(bits)) return `netmask "${prefixText}" is not a contiguous run of leading ones`;
      prefix = bits.indexOf("0") === -1 ? maxPrefix : bits.indexOf("0");
    }
    if (prefix < 0 || prefix > maxPrefix) return `invalid prefix length "${prefixText}"`;
  }
  const base = address.value & maskOf(address.family, prefix);
  const baseText = address.family === 4 ? ipv4Text(base) : ipv6Text(base);
  return { family: address.family, base, prefix, text: `${baseText}/${prefix}` };
}

/** Whether `address` lies inside `network` (false across families). */
export function networkContains(network: IpNetwork, address: IpAddress): boolean {
  if (network.family !== address.family) return false;
  return (address.value & maskOf(network.family, network.prefix)) === network.base;
}

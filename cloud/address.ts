// Addresses as the AWS targets store them: one canonical text per address, so that a set read back from WAF or a
// network ACL compares equal to the bans it was built from, whatever spelling the API hands back.
import { isIPv4, isIPv6 } from "node:net";
import { CloudjailError } from "../shared/errors.js";

/** IP version of an address. */
export type IpFamily = 4 | 6;

/** A text that is not a single IPv4 or IPv6 address (or CIDR block, where one is expected). */
export class InvalidAddressError extends CloudjailError {
  override name = "InvalidAddressError";
  constructor(readonly value: string) {
    super(`not an IP address: ${JSON.stringify(value.slice(0, 80))}`);
  }
}

/** Returns 4 or 6 for a plain address (no zone id, no prefix), undefined otherwise. */
export function ipFamily(value: string): IpFamily | undefined {
  if (isIPv4(value)) return 4;
  if (isIPv6(value) && !value.includes("%")) return 6;
  return undefined;
}

function ipv6Groups(value: string): number[] {
  let text = value.toLowerCase();
  // An embedded dotted quad (::ffff:192.0.2.1) stands for the last two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16)));
  const [head = "", rest] = text.split("::");
  if (rest === undefined) return parse(head);
  const left = parse(head);
  const right = parse(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function formatIpv6(groups: number[]): string {
  // RFC 5952: the longest run of two or more zero groups becomes "::" (the first one on a tie), hex in lower case.
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
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** The canonical spelling of an address: dotted quad for IPv4, RFC 5952 for IPv6. Throws InvalidAddressError. */
export function canonicalIp(value: string): string {
  const family = ipFamily(value);
  if (family === 4) return value;
  if (family === 6) return formatIpv6(ipv6Groups(value));
  throw new InvalidAddressError(value);
}

/** A parsed CIDR block: canonical network address text, prefix length and family. */
export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: IpFamily;
}

/** Parses `address/prefix` (prefix 0..32 or 0..128); returns undefined for anything else. */
export function parseCidr(value: string): Cidr | undefined {
  const slash = value.indexOf("/");
  if (slash < 0) return undefined;
  const address = value.slice(0, slash);
  const prefixText = value.slice(slash + 1);
  const family = ipFamily(address);
  if (!family || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address: canonicalIp(address), prefix, family };
}

/** The single-host CIDR block of an address (`/32` or `/128`), canonical. Throws InvalidAddressError. */
export function hostCidr(ip: string): string {
  const family = ipFamily(ip);
  if (!family) throw new InvalidAddressError(ip);
  return `${canonicalIp(ip)}/${family === 4 ? 32 : 128}`;
}

/** Canonical text of a CIDR block (so `2001:DB8:0::1/128` equals `2001:db8::1/128`); undefined if malformed. */
export function canonicalCidr(value: string): string | undefined {
  const cidr = parseCidr(value);
  return cidr ? `${cidr.address}/${cidr.prefix}` : undefined;
}

// Addresses as the AWS targets store them: one canonical text per address, so that a set read back from WAF or a
// network ACL compares equal to the bans it was built from, whatever spelling the API hands back.
import { CloudjailError } from "../shared/errors.js";
import { type IpAddress, parseIp } from "../shared/net/ip.js";

/** IP version of an address. */
export type IpFamily = 4 | 6;

/** A text that is not a single IPv4 or IPv6 address (or CIDR block, where one is expected). */
export class InvalidAddressError extends CloudjailError {
  override name = "InvalidAddressError";
  constructor(readonly value: string) {
    super(`not an IP address: ${JSON.stringify(value.slice(0, 80))}`);
  }
}

function strictParse(value: string): IpAddress | undefined {
  // The shared parser is lenient with spaces, brackets and zone ids (log text); addresses handed to AWS must be exact.
  if (value !== value.trim() || value.startsWith("[") || value.includes("%")) return undefined;
  return parseIp(value);
}

/** Returns 4 or 6 for a plain address (no zone id, no prefix), undefined otherwise. */
export function ipFamily(value: string): IpFamily | undefined {
  return strictParse(value)?.family;
}

/**
 * The canonical spelling of an address (the shared one: dotted quad, RFC 5952 IPv6, IPv4-mapped IPv6 as IPv4).
 * Throws InvalidAddressError.
 */
export function canonicalIp(value: string): string {
  const ip = strictParse(value);
  if (!ip) throw new InvalidAddressError(value);
  return ip.text;
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
  const ip = strictParse(address);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (ip.family === 4 ? 32 : 128)) return undefined;
  return { address: ip.text, prefix, family: ip.family };
}

/** The single-host CIDR block of an address (`/32` or `/128`), canonical. Throws InvalidAddressError. */
export function hostCidr(ip: string): string {
  const parsed = strictParse(ip);
  if (!parsed) throw new InvalidAddressError(ip);
  return `${parsed.text}/${parsed.family === 4 ? 32 : 128}`;
}

/** Canonical text of a CIDR block (so `2001:DB8:0::1/128` equals `2001:db8::1/128`); undefined if malformed. */
export function canonicalCidr(value: string): string | undefined {
  const cidr = parseCidr(value);
  return cidr ? `${cidr.address}/${cidr.prefix}` : undefined;
}

// Addresses as the AWS targets store them: one canonical text per address, so that a set read back from WAF or a
// network ACL compares equal to the bans it was built from, whatever spelling the API hands back.
import { CloudjailError } from "../shared/errors.js";
import { type IpAddress, networkContains, parseIp, parseNetwork } from "../shared/net/ip.js";

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

/** Networks no client connection comes from, with what they are: banning them is an error, never protection. */
const UNBANNABLE: readonly { readonly network: string; readonly what: string }[] = [
  { network: "0.0.0.0/8", what: 'the unspecified address or "this network" (0.0.0.0/8)' },
  { network: "127.0.0.0/8", what: "a loopback address (127.0.0.0/8)" },
  { network: "169.254.0.0/16", what: "link-local (169.254.0.0/16, where the instance metadata service lives)" },
  { network: "224.0.0.0/4", what: "a multicast address (224.0.0.0/4)" },
  { network: "240.0.0.0/4", what: "reserved or the broadcast address (240.0.0.0/4, 255.255.255.255)" },
  { network: "::/128", what: "the unspecified address (::)" },
  { network: "::1/128", what: "the loopback address (::1)" },
  { network: "fe80::/10", what: "link-local (fe80::/10)" },
  { network: "fd00:ec2::254/128", what: "the instance metadata service's IPv6 address" },
  { network: "ff00::/8", what: "a multicast address (ff00::/8)" },
];

/**
 * Why `ip` (a valid address) cannot be banned, or undefined when it can: the unspecified, loopback, link-local
 * (instance metadata), multicast, reserved and broadcast addresses are never a client's, and a deny for them either
 * does nothing or cuts the instance off from AWS itself.
 */
export function unbannableReason(ip: string): string | undefined {
  const address = parseIp(ip);
  if (!address) return "not an IP address";
  for (const { network, what } of UNBANNABLE) {
    const parsed = parseNetwork(network);
    if (parsed && networkContains(parsed, address)) return what;
  }
  return undefined;
}

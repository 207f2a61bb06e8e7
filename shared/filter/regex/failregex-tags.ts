// fail2ban's failregex tags (`<HOST>`, `<ADDR>`, `<F-USER>...</F-USER>`, `<SKIPLINES>`, ...) and their expansion
// into Python regular expressions with named groups, as fail2ban 1.0 does before compiling a failregex.

/** How `<HOST>` is expanded: only `no` leaves out the DNS-name alternative (fail2ban's `usedns`). */
export type UseDns = "yes" | "warn" | "no" | "raw";

const IP4 = String.raw`(?:\d{1,3}\.){3}\d{1,3}`;
const IP6 = `(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)`;

/** `<IP4>`: an IPv4 address, optionally IPv4-mapped (`::ffff:`), in group `ip4`. */
export const IP4_TAG = `(?:::f{4,6}:)?(?P<ip4>${IP4})`;
/** `<IP6>`: an IPv6 address in group `ip6`. */
export const IP6_TAG = `(?P<ip6>${IP6})`;
/** `<DNS>`: a host name in group `dns`. */
export const DNS_TAG = String.raw`(?P<dns>[\w\-.^_]*\w)`;
/** `<CIDR>`: a prefix length in group `cidr`. */
export const CIDR_TAG = String.raw`(?P<cidr>\d+)`;
/** `<ADDR>`: an IPv4 or IPv6 address, optionally in brackets. */
export const ADDR_TAG = String.raw`\[?(?:${IP4_TAG}|${IP6_TAG})\]?`;
/** `<HOST>` with DNS names allowed. */
export const HOST_TAG = `(?:${ADDR_TAG}|${DNS_TAG})`;
/** `<SUBNET>`: an address with an optional `/cidr`. */
export const SUBNET_TAG = String.raw`\[?(?:${IP4_TAG}|${IP6_TAG})(?:/${CIDR_TAG})?\]?`;

/** Tags with a fixed expansion (the `F-X/` forms are the self-closing spellings). */
const STATIC_TAGS: Readonly<Record<string, string>> = {
  IP4: IP4_TAG,
  "F-IP4/": IP4_TAG,
  IP6: IP6_TAG,
  "F-IP6/": IP6_TAG,
  ADDR: ADDR_TAG,
  "F-ADDR/": ADDR_TAG,
  CIDR: CIDR_TAG,
  "F-CIDR/": CIDR_TAG,
  SUBNET: SUBNET_TAG,
  "F-SUBNET/": SUBNET_TAG,
  DNS: DNS_TAG,
  "F-DNS/": DNS_TAG,
  "F-ID/": String.raw`(?P<fid>\S+)`,
  "F-PORT/": String.raw`(?P<fport>\w+)`,
};

// A tag is `<NAME>`, `</NAME>` or `<NAME/>` with NAME made of word characters and dashes (Python's \w).
const TAG = /<\/?[\p{L}\p{N}_-]+\/?>/gu;
const CUSTOM_TAG = /^(\/?)F-([A-Z0-9_-]+)$/;

/** The group name an `<F-NAME>` tag captures into: lower case, with ID and PORT mapped to `fid` and `fport`. */
export function failTagGroupName(tag: string): string {
  const lower = tag.toLowerCase();
  return lower === "id" ? "fid" : lower === "port" ? "fport" : lower;
}

/**
 * Expands fail2ban's tags in a failregex into plain Python regex syntax, exactly like fail2ban 1.0: `<HOST>` (or
 * the address-only form when `useDns` is "no"), `<ADDR>`, `<IP4>`, `<IP6>`, `<DNS>`, `<CIDR>`, `<SUBNET>`,
 * `<SKIPLINES>` (numbered `skiplinesN` groups over whole lines), `<F-ID/>`, `<F-PORT/>`, and any
 * `<F-NAME>...</F-NAME>` pair as the named group `name` (a closing tag that was never opened, and any unknown tag,
 * stay as written). Pure: no compilation happens here.
 *
 * @example expandFailRegexTags("Failed for <F-USER>\\S+</F-USER> from <HOST>")
 */
export function expandFailRegexTags(regex: string, useDns: UseDns = "yes"): string {
  const open = new Set<string>();
  let skipLines = 0;
  return regex.replace(TAG, (tag) => {
    const name = tag.slice(1, -1);
    if (name === "HOST") return useDns === "no" ? ADDR_TAG : HOST_TAG;
    if (name === "SKIPLINES") return String.raw`\n(?P<skiplines${skipLines++}>(?:(?:.*\n)*?))`;
    const fixed = STATIC_TAGS[name];
    if (fixed !== undefined) return fixed;
    const custom = CUSTOM_TAG.exec(name);
    if (!custom) return tag;
    const [, closing, tagName] = custom as unknown as [string, string, string];
    if (closing) return open.has(tagName) ? ")" : tag;
    open.add(tagName);
    return `(?P<${failTagGroupName(tagName)}>`;
  });
}

// fail2ban turns a global flag group opening a group, `((?i)...)` or `(?:(?i)...)`, into the scoped `(?i:...)`
// (Python 3.11 refuses global flags after the start). Note that `((?i)x)` thereby stops capturing.
const GLOBAL_FLAG_IN_GROUP = /(?<!\\)\((?:\?:)?(\(\?[a-z]+)\)/g;

/** Rewrites `((?i)x)` and `(?:(?i)x)` to `(?i:x)`, as fail2ban does before compiling. */
export function localizeGlobalFlags(regex: string): string {
  return regex.replace(GLOBAL_FLAG_IN_GROUP, "$1:");
}

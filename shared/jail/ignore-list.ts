import { type IpNetwork, networkContains, parseIp, parseNetworkStrict } from "../net/ip.js";

/** The `ignoreip` option as written: address ranges, and DNS names to resolve before use. */
export interface IgnoreSpec {
  readonly networks: readonly IpNetwork[];
  readonly names: readonly string[];
}

/** An `ignoreip` entry that is neither an address, a range nor a host name; `entry` quotes it. */
export class IgnoreIpSyntaxError extends SyntaxError {
  override name = "IgnoreIpSyntaxError";
  constructor(
    readonly entry: string,
    reason: string,
  ) {
    super(`ignoreip entry "${entry}": ${reason}`);
  }
}

const HOST_NAME =
  /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$/i;

/**
 * Parses fail2ban's `ignoreip` value: entries separated by spaces, commas or new lines, each an IPv4 or IPv6 address,
 * a CIDR range (`10.0.0.0/8`, `2001:db8::/32`), an address with a dotted netmask (`192.168.0.0/255.255.0.0`) or a
 * DNS name. Throws {@link IgnoreIpSyntaxError} naming the bad entry.
 */
export function parseIgnoreIp(value: string): IgnoreSpec {
  const networks: IpNetwork[] = [];
  const names: string[] = [];
  for (const entry of value.split(/[\s,]+/)) {
    if (entry === "") continue;
    let network: IpNetwork | undefined;
    try {
      network = parseNetworkStrict(entry);
    } catch (error) {
      throw new IgnoreIpSyntaxError(entry, (error as Error).message);
    }
    if (network) networks.push(network);
    else if (HOST_NAME.test(entry) && !/(^|\.)\d+\.?$/.test(entry) && !entry.includes("/")) {
      names.push(entry.toLowerCase().replace(/\.$/, ""));
    } else throw new IgnoreIpSyntaxError(entry, "not an IP address, a CIDR range, an address/netmask or a host name");
  }
  return { networks, names };
}

/** Resolves host names to addresses; injected so that the jail logic stays free of I/O. */
export type NameResolver = (name: string) => Promise<readonly string[]>;

/**
 * Resolves the DNS names of an ignore list once, like fail2ban's DNS cache does. A name that does not resolve is
 * kept with no address: it ignores nothing, and never makes the jail fail.
 */
export async function resolveIgnoreNames(
  names: readonly string[],
  resolve: NameResolver,
): Promise<Map<string, readonly string[]>> {
  const resolved = new Map<string, readonly string[]>();
  await Promise.all(
    names.map(async (name) => {
      try {
        resolved.set(name, await resolve(name));
      } catch {
        resolved.set(name, []);
      }
    }),
  );
  return resolved;
}

/** Where the addresses of an {@link IgnoreList} come from besides the `ignoreip` ranges. */
export interface IgnoreSources {
  /** This host's own addresses, ignored when `ignoreself` is on. */
  readonly selfAddresses?: readonly string[];
  /** The addresses of the `ignoreip` DNS names, from {@link resolveIgnoreNames}. */
  readonly resolvedNames?: ReadonlyMap<string, readonly string[]>;
}

/** The addresses a jail must never count nor ban. Checked before counting, so an ignored address costs no write. */
export class IgnoreList {
  private readonly networks: IpNetwork[];

  /** Builds the list from a parsed `ignoreip`, the resolved names and, for `ignoreself`, the host's addresses. */
  constructor(spec: IgnoreSpec = { networks: [], names: [] }, sources: IgnoreSources = {}) {
    this.networks = [...spec.networks];
    const extra = [...(sources.selfAddresses ?? [])];
    for (const name of spec.names) extra.push(...(sources.resolvedNames?.get(name) ?? []));
    for (const address of extra) {
      const network = parseNetworkStrict(address);
      if (network) this.networks.push(network);
    }
  }

  /** True when `ip` (any spelling: IPv6 case, brackets, IPv4-mapped) falls in one of the ignored ranges. */
  contains(ip: string): boolean {
    // A failure is checked up to three times in a row (before the store, in its screening, and again when it
    // counts): the last answer is kept, so the address is parsed once. The ranges never change after construction.
    if (ip === this.lastIp) return this.lastAnswer;
    const address = this.networks.length === 0 ? undefined : parseIp(ip);
    const answer = address !== undefined && this.networks.some((network) => networkContains(network, address));
    this.lastIp = ip;
    this.lastAnswer = answer;
    return answer;
  }
  private lastIp: string | undefined;
  private lastAnswer = false;
}

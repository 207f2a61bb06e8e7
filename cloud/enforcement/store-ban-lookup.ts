// The question every removal from a target asks first: is this address still banned? Asked of the store with
// consistent reads (the item, never the active-bans index, which is eventually consistent and may not show a ban
// recorded a moment ago, or may still show one just lifted).
import type { ActiveBan } from "../../shared/jail/jail-runner.js";
import { normalizeAddress } from "../../shared/net/ip.js";
import { banInForce, type Store } from "../../shared/store/store.js";
import type { BanLookup, TargetBan } from "../targets/ban-target.js";

/** Consistent reads in flight at once. */
const LOOKUP_CONCURRENCY = 16;

/**
 * A BanLookup on `store` at time `now`: an address is banned when one of its entries (all jails, read consistently by
 * its failure id, the address) holds a ban in force. `hints` are bans known by another way (the active-bans index):
 * those whose failure id is not the address (a filter's `<F-ID>`) are read by their own key too.
 */
export function storeBanLookup(store: Store, now: number, hints: readonly ActiveBan[] = []): BanLookup {
  const otherKeys = new Map<string, { jail: string; fid: string }[]>();
  for (const hint of hints) {
    if (hint.fid === normalizeAddress(hint.ip)) continue;
    const keys = otherKeys.get(hint.ip) ?? [];
    keys.push({ jail: hint.jail, fid: hint.fid });
    otherKeys.set(hint.ip, keys);
  }
  return async (ips) => {
    const found = new Map<string, TargetBan>();
    const unique = [...new Set(ips)];
    for (let start = 0; start < unique.length; start += LOOKUP_CONCURRENCY) {
      await Promise.all(
        unique.slice(start, start + LOOKUP_CONCURRENCY).map(async (ip) => {
          const address = normalizeAddress(ip);
          const entries = (await store.listByFid(address)).map((stored) => stored.entry);
          for (const key of otherKeys.get(ip) ?? []) {
            const stored = await store.get(key.jail, key.fid);
            if (stored) entries.push(stored.entry);
          }
          for (const entry of entries) {
            if (normalizeAddress(entry.ip) !== address || !banInForce(entry, now)) continue;
            const bannedAt = entry.ban!.time;
            const known = found.get(ip);
            if (!known || known.bannedAt < bannedAt) found.set(ip, { ip, bannedAt });
          }
        }),
      );
    }
    return found;
  };
}

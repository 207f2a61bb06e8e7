import { type BanTimeIncrement, banTimeIncrement } from "./ban-time.js";
import { IgnoreList, type IgnoreSources } from "./ignore-list.js";
import type { JailConfig } from "./jail-config.js";

/**
 * What the jail logic needs of one jail, in seconds and numbers: the runtime view of a jail's configuration
 * (the configuration model, with files and lines, is {@link JailConfig}; `jailPolicy` derives this from it).
 */
export interface JailPolicy {
  readonly name: string;
  /** Ban when the weighted attempt count reaches this. */
  readonly maxRetry: number;
  /** Counting window, seconds. */
  readonly findTime: number;
  /** Base ban length, seconds; negative means permanent. */
  readonly banTime: number;
  /** How many matched lines a ban keeps for alerts (0: none). */
  readonly maxMatches: number;
  readonly increment: BanTimeIncrement;
  /** Addresses never counted nor banned (ignoreip, ignoreself). */
  readonly ignore: IgnoreList;
}

/** fail2ban's defaults (jail.conf [DEFAULT]): 5 attempts in 10 minutes give a 10-minute ban. */
export const DEFAULT_POLICY = {
  maxRetry: 5,
  findTime: 600,
  banTime: 600,
} as const;

/** A policy with fail2ban's defaults for whatever `overrides` leaves out; convenient for tests and replays. */
export function makeJailPolicy(name: string, overrides: Partial<Omit<JailPolicy, "name">> = {}): JailPolicy {
  const maxRetry = overrides.maxRetry ?? DEFAULT_POLICY.maxRetry;
  return {
    name,
    maxRetry,
    findTime: overrides.findTime ?? DEFAULT_POLICY.findTime,
    banTime: overrides.banTime ?? DEFAULT_POLICY.banTime,
    maxMatches: overrides.maxMatches ?? maxRetry,
    increment: overrides.increment ?? banTimeIncrement(),
    ignore: overrides.ignore ?? new IgnoreList(),
  };
}

/**
 * The runtime policy of a configured jail. `sources` supplies what needs I/O: the addresses of ignoreip's DNS names
 * (resolveIgnoreNames) and the host's own addresses, used only when the jail has `ignoreself` on.
 */
export function jailPolicy(jail: JailConfig, sources: IgnoreSources = {}): JailPolicy {
  return {
    name: jail.name,
    maxRetry: jail.maxretry,
    findTime: jail.findtime,
    banTime: jail.bantime,
    maxMatches: jail.maxmatches,
    increment: jail.bantimeIncrement,
    ignore: new IgnoreList(jail.ignoreip, {
      ...(sources.resolvedNames ? { resolvedNames: sources.resolvedNames } : {}),
      ...(jail.ignoreself && sources.selfAddresses ? { selfAddresses: sources.selfAddresses } : {}),
    }),
  };
}

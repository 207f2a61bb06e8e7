// The jails of a deployed stack, resolved at synth time from jail.local and filter.d and baked into the Lambda
// bundles as JSON: the Lambdas never read configuration files, so nothing can be misconfigured after `cdk synth`
// validated it. This module holds the JSON shape and its runtime view (policies, log group routing).
import { CloudjailError } from "../../shared/errors.js";
import type { HostPosition } from "../../shared/filter/host-placement.js";
import { type BanTimeIncrementOptions, banTimeIncrement } from "../../shared/jail/ban-time.js";
import { IgnoreList, parseIgnoreIp } from "../../shared/jail/ignore-list.js";
import type { JailPolicy } from "../../shared/jail/jail-policy.js";

/** A filter resolved from filter.d: what the engine needs, as plain data. */
export interface DeployedFilter {
  /** The filter reference and file, for messages. */
  readonly source: string;
  readonly failregex: readonly string[];
  readonly ignoreregex: readonly string[];
  readonly prefregex?: string;
  readonly datepattern?: string;
  readonly maxlines?: number;
  /** Where the program writes the client address relative to client text (shared/filter/host-placement). */
  readonly hostposition?: HostPosition;
}

/** One jail of a deployment. Times in seconds. */
export interface DeployedJail {
  readonly name: string;
  /** CloudWatch Logs log groups whose events this jail reads. */
  readonly logGroups: readonly string[];
  readonly filter: DeployedFilter;
  readonly maxRetry: number;
  readonly findTime: number;
  /** Negative: permanent. */
  readonly banTime: number;
  readonly maxMatches: number;
  /** `bantime.*` options as written (the runtime compiles them). */
  readonly increment: BanTimeIncrementOptions;
  /** `ignoreip` as written (addresses and ranges; host names are resolved at cold start). */
  readonly ignoreIp: string;
  /** fail2ban's `logtimezone` (IANA name or UTC offset) for dates without a zone. */
  readonly logTimeZone?: string;
  /** CloudWatch Logs filter pattern for this jail's subscription ("" = every event). */
  readonly filterPattern: string;
}

/** Everything the Lambdas know about the jails. */
export interface DeploymentConfig {
  readonly version: 1;
  readonly jails: readonly DeployedJail[];
}

/** The deployment JSON is missing or broken (only possible when a bundle was built by hand). */
export class DeploymentConfigError extends CloudjailError {
  override name = "DeploymentConfigError";
}

/**
 * Checks the shape of a deployment JSON value enough that the Lambdas fail at cold start, with a clear message,
 * rather than on the first event.
 */
export function checkDeploymentConfig(value: unknown): DeploymentConfig {
  const config = value as DeploymentConfig;
  if (typeof value !== "object" || value === null || config.version !== 1 || !Array.isArray(config.jails)) {
    throw new DeploymentConfigError(
      "the deployment configuration is missing or not version 1: rebuild with `cdk synth`",
    );
  }
  for (const jail of config.jails) {
    if (typeof jail?.name !== "string" || !Array.isArray(jail.logGroups) || !Array.isArray(jail.filter?.failregex)) {
      throw new DeploymentConfigError(
        `the deployment configuration has a malformed jail: ${JSON.stringify(jail).slice(0, 200)}`,
      );
    }
  }
  return config;
}

/**
 * The jail logic's policy of a deployed jail. `resolvedNames` gives the addresses of `ignoreip` host names (resolved
 * once per container by the caller).
 */
export function jailPolicyOf(jail: DeployedJail, resolvedNames?: ReadonlyMap<string, readonly string[]>): JailPolicy {
  return {
    name: jail.name,
    maxRetry: jail.maxRetry,
    findTime: jail.findTime,
    banTime: jail.banTime,
    maxMatches: jail.maxMatches,
    increment: banTimeIncrement(jail.increment),
    ignore: new IgnoreList(parseIgnoreIp(jail.ignoreIp), resolvedNames ? { resolvedNames } : {}),
  };
}

/** The host names in the `ignoreip` of every jail, to resolve before building policies. */
export function ignoreIpNames(config: DeploymentConfig): string[] {
  return [...new Set(config.jails.flatMap((jail) => parseIgnoreIp(jail.ignoreIp).names))];
}

/** Jails per log group: the ingest Lambda's routing table. */
export function jailsByLogGroup(config: DeploymentConfig): Map<string, DeployedJail[]> {
  const routes = new Map<string, DeployedJail[]>();
  for (const jail of config.jails) {
    for (const group of jail.logGroups) routes.set(group, [...(routes.get(group) ?? []), jail]);
  }
  return routes;
}

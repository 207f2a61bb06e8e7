// Defaults of the three functions, as small pure values so that tests and docs can quote them.
import { Duration } from "aws-cdk-lib";

/** Memory, timeout and concurrency of one function. */
export interface FunctionSettings {
  readonly memorySize: number;
  readonly timeout: Duration;
  /** Reserved concurrency (undefined: the account's pool). */
  readonly reservedConcurrency?: number;
}

/** The ingest function runs the filters on each delivery (up to about 1 MB of log lines). */
export const INGEST_SETTINGS: FunctionSettings = { memorySize: 512, timeout: Duration.seconds(60) };

/**
 * The reconcile function runs every minute, with a timeout below the schedule's period. No reserved concurrency by
 * default (it cannot be deployed on an account whose concurrency quota is 10): two overlapping runs (a late
 * EventBridge delivery, a retried invocation) are serialized by a lease item in the table instead
 * (cloud/reconcile/reconcile-lease.ts), and the second one skips.
 */
export const RECONCILE_SETTINGS: FunctionSettings = {
  memorySize: 256,
  timeout: Duration.seconds(55),
};

/** The admin function answers `cloudjail cloud` in seconds. */
export const ADMIN_SETTINGS: FunctionSettings = { memorySize: 256, timeout: Duration.seconds(30) };

/** Ingress rule numbers given to bans by default: ahead of the usual allow rules at 100 and above. */
export const DEFAULT_NACL_RULE_RANGE = { first: 1, last: 90 } as const;

/**
 * The subscription filter pattern of a log group read by several jails: the jails' patterns joined as alternatives
 * (`?term ?"a phrase"`) when each is a single term or quoted phrase, otherwise every event ("").
 */
export function combinedFilterPattern(patterns: readonly string[]): string {
  if (patterns.length === 0 || patterns.some((pattern) => pattern.trim() === "")) return "";
  const unique = [...new Set(patterns.map((pattern) => pattern.trim()))];
  if (unique.length === 1) return unique[0]!;
  const single = /^(?:[^\s"?{}[\]-][^\s"{}[\]]*|"[^"]+")$/;
  return unique.every((pattern) => single.test(pattern)) ? unique.map((pattern) => `?${pattern}`).join(" ") : "";
}

// Backfill: a jail deployed now has not seen what its log groups logged just before its subscription began, yet
// failures within findtime still count toward a ban (fail2ban, started, reads its logs back the same way). Asked
// with `{"backfill": {"jails": [...]}}` (`cloudjail cloud backfill`), the ingest function reads each log group's
// history through FilterLogEvents, from findtime ago up to the moment the subscription started delivering, and runs
// it through the same pipeline as deliveries: counted under the events' ids (a second backfill counts nothing
// again), bans enforced and announced. Bounded by findtime, so it costs at most findtime's worth of log events.

import { CloudjailError } from "../../shared/errors.js";
import type { BanDecision } from "../../shared/jail/decision.js";
import type { LogEvent } from "../logs/subscription-payload.js";
import { type IngestDependencies, ingestBatch } from "./ingest-delivery.js";

/** Which jails to backfill; all deployed jails when `jails` is absent. */
export interface BackfillRequest {
  readonly jails?: readonly string[];
}

/** A backfill request with something wrong in it (never a subscription delivery). */
export class BackfillRequestError extends CloudjailError {
  override name = "BackfillRequestError";
}

/** A past log event of a log group. */
export interface HistoryEvent {
  readonly id: string;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly message: string;
  readonly logStream: string;
}

/** Where past events come from (CloudWatch Logs; a fake in tests). Times in milliseconds since the epoch. */
export interface HistorySource {
  /** When the subscription that delivers `logGroup` to this function started, or undefined when unknown. */
  subscriptionStart(logGroup: string): Promise<number | undefined>;
  /** The events of `logGroup` with startTime <= timestamp <= endTime, in time order, optionally filtered. */
  events(logGroup: string, startTime: number, endTime: number, filterPattern: string): AsyncIterable<HistoryEvent>;
}

/** What the backfill of one log group did. */
export interface LogGroupBackfill {
  readonly logGroup: string;
  readonly jails: readonly string[];
  /** The window read, epoch seconds (empty when `to` <= `from`). */
  readonly from: number;
  readonly to: number;
  readonly events: number;
  readonly failures: number;
  readonly duplicates: number;
  readonly bans: number;
}

/** What a backfill did, per log group, and the bans it made. */
export interface BackfillReport {
  readonly logGroups: readonly LogGroupBackfill[];
  readonly bans: readonly BanDecision[];
}

/** Events of one stream handed to the pipeline at once. */
const BATCH_EVENTS = 1000;
/** Most jails one request may name. */
const MAX_JAILS = 100;

/**
 * The backfill request in an invocation payload, checked against the deployed jail names; undefined when the payload
 * is no backfill request (a subscription delivery). Throws BackfillRequestError saying what is wrong.
 */
export function parseBackfillRequest(event: unknown, deployed: readonly string[]): BackfillRequest | undefined {
  if (typeof event !== "object" || event === null || !Object.hasOwn(event, "backfill")) return undefined;
  const extra = Object.keys(event).filter((key) => key !== "backfill");
  if (extra.length > 0) throw new BackfillRequestError(`unknown field ${JSON.stringify(extra[0])} beside backfill`);
  const body = (event as { backfill: unknown }).backfill;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BackfillRequestError('backfill must be an object: {} or {"jails": ["sshd", ...]}');
  }
  const unknownField = Object.keys(body).find((key) => key !== "jails");
  if (unknownField !== undefined) {
    throw new BackfillRequestError(`unknown field backfill.${unknownField} (only jails is allowed)`);
  }
  const jails = (body as { jails?: unknown }).jails;
  if (jails === undefined) return {};
  if (!Array.isArray(jails) || jails.length === 0 || jails.length > MAX_JAILS) {
    throw new BackfillRequestError(`backfill.jails must be a list of 1 to ${MAX_JAILS} jail names`);
  }
  for (const name of jails) {
    if (typeof name !== "string" || !deployed.includes(name)) {
      throw new BackfillRequestError(
        `backfill.jails: no deployed jail ${JSON.stringify(name).slice(0, 80)} (deployed: ${deployed.join(", ")})`,
      );
    }
  }
  return { jails: [...new Set(jails as string[])] };
}

/** Runs the backfill of `request`; see the module comment. */
export async function backfill(
  request: BackfillRequest,
  deps: IngestDependencies,
  history: HistorySource,
): Promise<BackfillReport> {
  const wanted = request.jails ? new Set(request.jails) : undefined;
  const nowMs = deps.clock() * 1000;
  const logGroups: LogGroupBackfill[] = [];
  const bans: BanDecision[] = [];
  for (const [logGroup, routed] of deps.routes) {
    const jails = routed.filter(({ jail }) => !wanted || wanted.has(jail.name));
    if (jails.length === 0) continue;
    const from = nowMs - 1000 * Math.max(...jails.map(({ jail }) => jail.findTime));
    const started = await history.subscriptionStart(logGroup);
    // the subscription delivers from its start on: read only what came before
    const to = Math.min(nowMs, started ?? nowMs);
    const result = { events: 0, failures: 0, duplicates: 0, bans: 0 };
    if (from < to) {
      const patterns = new Set(jails.map(({ jail }) => jail.filterPattern));
      const filterPattern = patterns.size === 1 ? [...patterns][0]! : "";
      const run = async (logStream: string, logEvents: LogEvent[]) => {
        const report = await ingestBatch({ logGroup, logStream, logEvents }, jails, deps);
        result.events += report.events;
        result.failures += report.failures;
        result.duplicates += report.duplicates;
        result.bans += report.bans.length;
        bans.push(...report.bans);
      };
      const byStream = new Map<string, LogEvent[]>();
      for await (const event of history.events(logGroup, from, to - 1, filterPattern)) {
        const events = byStream.get(event.logStream) ?? [];
        byStream.set(event.logStream, events);
        events.push({ id: event.id, timestamp: event.timestamp, message: event.message });
        if (events.length >= BATCH_EVENTS) await run(event.logStream, events.splice(0));
      }
      for (const [logStream, events] of byStream) if (events.length > 0) await run(logStream, events);
    }
    deps.log(
      "info",
      `backfill of ${logGroup}: ${result.events} events, ${result.failures} failures, ${result.bans} bans`,
      {
        logGroup,
        from: Math.floor(from / 1000),
        to: Math.floor(to / 1000),
      },
    );
    logGroups.push({
      logGroup,
      jails: jails.map(({ jail }) => jail.name),
      from: Math.floor(from / 1000),
      to: Math.floor(to / 1000),
      ...result,
    });
  }
  return { logGroups, bans };
}

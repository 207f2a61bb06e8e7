// The ingest pipeline: one CloudWatch Logs subscription delivery in, failures counted and bans recorded in the store,
// new bans enforced at once and announced. Safe under at-least-once delivery: each failure carries its log event id,
// which the store counts once, so a redelivered batch changes nothing. A malformed delivery or event is logged with
// its log group, stream and event id and skipped; only a store failure (which a retry can fix) fails the invocation.
import type { BanDecision } from "../../shared/jail/decision.js";
import type { JailRunner } from "../../shared/jail/jail-runner.js";
import { normalizeAddress } from "../../shared/net/ip.js";
import type { Store } from "../../shared/store/store.js";
import type { BanAlert } from "../alerts/ban-alert.js";
import type { DeployedJail } from "../deployment/deployment-config.js";
import type { EnforcementReport } from "../enforcement/enforce-bans.js";
import { decodeDelivery, type LogBatch, MalformedPayloadError } from "../logs/subscription-payload.js";
import type { EmbeddedMetrics } from "../metrics/embedded-metrics.js";
import { runKeyedTasks } from "./keyed-tasks.js";
import type { LineMatcher, MatchOutput } from "./line-matcher.js";

/** A jail as the ingest pipeline runs it. */
export interface IngestJail {
  readonly jail: DeployedJail;
  /** The jail's filter (one per container: compiled once, guarded against pathological lines). */
  readonly matcher: LineMatcher;
}

/** Structured log output (one JSON object per line in CloudWatch). */
export type IngestLog = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;

/** What the pipeline uses; all injected, so tests run it on DynamoDB Local and fake AWS APIs. */
export interface IngestDependencies {
  readonly runner: JailRunner;
  /** The runner's store, read directly to learn a known ban's end. */
  readonly store: Store;
  /** Jails per log group. */
  readonly routes: ReadonlyMap<string, readonly IngestJail[]>;
  /** Syncs the targets to the active bans at `now`. */
  readonly enforce: (now: number) => Promise<EnforcementReport>;
  /** Sends the alerts of new bans (one message, or a digest). */
  readonly announce?: (alerts: readonly BanAlert[]) => Promise<void>;
  readonly metrics: EmbeddedMetrics;
  readonly log: IngestLog;
  /** Epoch seconds. */
  readonly clock: () => number;
}

/** What one delivery did. */
export interface IngestReport {
  readonly kind: "data" | "control" | "malformed" | "unrouted";
  readonly logGroup?: string;
  readonly events: number;
  readonly rejectedEvents: number;
  readonly failures: number;
  readonly duplicates: number;
  readonly bans: readonly BanDecision[];
  readonly enforcement?: EnforcementReport;
}

/** Store requests in flight at once during one delivery (each address's own failures stay in order). */
export const STORE_CONCURRENCY = 16;

const empty = { events: 0, rejectedEvents: 0, failures: 0, duplicates: 0, bans: [] } as const;

/** Processes one subscription delivery; see the module comment for the guarantees. */
export async function ingestDelivery(event: unknown, deps: IngestDependencies): Promise<IngestReport> {
  const { log, metrics } = deps;
  let decoded: ReturnType<typeof decodeDelivery>;
  try {
    decoded = decodeDelivery(event);
  } catch (error) {
    if (!(error instanceof MalformedPayloadError)) throw error;
    // Retrying cannot fix a malformed delivery: log it and succeed, so Lambda does not retry it.
    log("error", error.message, { ...error.origin });
    metrics.add("MalformedEvents", 1);
    return { kind: "malformed", ...empty };
  }
  if (decoded.kind === "control") return { kind: "control", ...empty };

  const { batch, rejected } = decoded;
  const where = { logGroup: batch.logGroup, logStream: batch.logStream };
  for (const bad of rejected)
    log("error", `malformed log event skipped: ${bad.reason}`, { ...where, eventId: bad.eventId });
  if (rejected.length) metrics.add("MalformedEvents", rejected.length);
  const jails = deps.routes.get(batch.logGroup);
  if (!jails?.length) {
    log("warn", "no jail reads this log group; is the subscription filter left over from an older deployment?", where);
    return { kind: "unrouted", logGroup: batch.logGroup, ...empty, events: batch.logEvents.length };
  }
  return { ...(await ingestBatch(batch, jails, deps)), rejectedEvents: rejected.length };
}

/** The events of one log stream of one log group, in order (a delivery, or a page of history). */
export type IngestBatch = Pick<LogBatch, "logGroup" | "logStream" | "logEvents">;

/**
 * Runs `jails` over a batch of events: failures counted in the store (each under its log event id, so a batch seen
 * twice counts once), new bans enforced at once and announced. Throws only when a retry can help (the store, the
 * engine's worker).
 */
export async function ingestBatch(
  batch: IngestBatch,
  jails: readonly IngestJail[],
  deps: IngestDependencies,
): Promise<IngestReport> {
  const { log, metrics } = deps;
  const where = { logGroup: batch.logGroup, logStream: batch.logStream };
  metrics.add("LinesRead", batch.logEvents.length);

  const now = deps.clock();
  const bans: BanDecision[] = [];
  const firstSeen = new Map<string, { first: number; count: number }>();
  // Bans met in this delivery: the later failures of a banned address cost no store request (an attack goes on
  // for a while after its ban, and the store would only answer "banned" again).
  const knownBans = new Map<string, { time: number; until: number }>();
  const queues = new Map<string, Array<() => Promise<void>>>();
  let failures = 0;
  let duplicates = 0;
  const inputs = batch.logEvents.map((logEvent) => ({
    message: logEvent.message,
    eventTime: Math.floor(logEvent.timestamp / 1000),
  }));
  for (const { jail, matcher } of jails) {
    let outputs: MatchOutput[];
    try {
      // per log stream: a multi-line filter must not join lines of two hosts' logs
      outputs = await matcher.match(inputs, `${batch.logGroup}\n${batch.logStream}`);
    } catch (error) {
      // The engine itself failed (its worker could not start or died), not a line: skipping would drop the batch
      // silently, so the invocation fails and Lambda retries it (twice, then the IngestErrors alarm). Jails already
      // run on this batch count nothing twice on the retry: the store knows their event ids.
      log("error", `jail ${jail.name} could not run on this batch: ${(error as Error).message}`, where);
      throw error;
    }
    for (const [position, logEvent] of batch.logEvents.entries()) {
      const output = outputs[position];
      if (!output) continue;
      if (output.stalled) {
        // A line crafted to make the regex engine backtrack: abandoned, logged, the batch goes on.
        log("error", `log event abandoned by jail ${jail.name}: the filter ran past its time budget`, {
          ...where,
          eventId: logEvent.id,
        });
        metrics.add("MalformedEvents", 1);
      }
      if (output.ambiguousHost) {
        // the filter's hostposition refused a match (a user name written to pass for the address): counted nowhere
        log("error", `log event refused by jail ${jail.name}: its client address cannot be told from client text`, {
          ...where,
          eventId: logEvent.id,
        });
        metrics.add("MalformedEvents", 1);
      }
      for (const [index, failure] of output.failures.entries()) {
        failures++;
        metrics.add("Failures", 1, { Jail: jail.name });
        const fid = normalizeAddress(failure.fid ?? failure.ip);
        const key = `${jail.name}|${fid}`;
        const task = async () => {
          const known = knownBans.get(key);
          const time = Math.min(failure.time, now);
          if (known && (time <= known.time || time < known.until)) return;
          const seen = firstSeen.get(key);
          firstSeen.set(key, {
            first: Math.min(seen?.first ?? failure.time, failure.time),
            count: (seen?.count ?? 0) + 1,
          });
          const outcome = await deps.runner.recordFailure(
            {
              jail: jail.name,
              ip: failure.ip,
              ...(failure.fid !== undefined ? { fid: failure.fid } : {}),
              time: failure.time,
              eventId: index === 0 ? logEvent.id : `${logEvent.id}#${index}`,
              line: failure.line,
            },
            now,
          );
          if (outcome.kind === "duplicate") duplicates++;
          if (outcome.kind === "banned") {
            const ban = (await deps.store.get(jail.name, fid))?.entry.ban;
            if (ban) knownBans.set(key, { time: ban.time, until: ban.until ?? Number.POSITIVE_INFINITY });
          }
          if (outcome.kind === "ban") {
            knownBans.set(key, { time: outcome.ban.time, until: outcome.ban.banUntil ?? Number.POSITIVE_INFINITY });
            bans.push(outcome.ban);
            metrics.add("Bans", 1, { Jail: jail.name });
            log("info", `ban ${outcome.ban.ip} in ${jail.name}`, {
              ...where,
              eventId: logEvent.id,
              until: outcome.ban.banUntil,
            });
          }
        };
        const queue = queues.get(key);
        if (queue) queue.push(task);
        else queues.set(key, [task]);
      }
    }
  }
  // Each address's failures in log order; different addresses in parallel.
  await runKeyedTasks(queues, STORE_CONCURRENCY);

  let enforcement: EnforcementReport | undefined;
  if (bans.length > 0) {
    enforcement = await deps.enforce(now);
    metrics.add("EnforcementFailures", enforcement.failures);
    metrics.set("TargetOverflow", enforcement.overflow);
    for (const target of enforcement.targets) {
      for (const warning of target.warnings) log("warn", warning, { target: target.target });
    }
    if (deps.announce) {
      const alerts = bans.map((ban): BanAlert => {
        const seen = firstSeen.get(`${ban.jail}|${ban.fid}`);
        const state = enforcement!.addresses.get(ban.ip);
        return {
          jail: ban.jail,
          ip: ban.ip,
          failures: ban.failures,
          // The first failure is known when this delivery held every counted failure.
          ...(seen && seen.count >= ban.failures ? { firstFailure: seen.first } : {}),
          lastFailure: ban.time,
          bannedAt: ban.time,
          until: ban.banUntil,
          matches: ban.matches,
          ...(state ? { enforcedIn: state.enforcedIn, pendingIn: state.pendingIn } : {}),
        };
      });
      try {
        await deps.announce(alerts);
      } catch (error) {
        // The ban stands and is enforced; a lost mail must not make Lambda redeliver the batch.
        log("error", `alert not sent: ${(error as Error).message}`, where);
      }
    }
  }
  return {
    kind: "data",
    logGroup: batch.logGroup,
    events: batch.logEvents.length,
    rejectedEvents: 0,
    failures,
    duplicates,
    bans,
    ...(enforcement ? { enforcement } : {}),
  };
}

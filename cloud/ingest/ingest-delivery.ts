// The ingest pipeline: one CloudWatch Logs subscription delivery in, failures counted and bans recorded in the store,
// new bans enforced at once and announced. Safe under at-least-once delivery: each failure carries its log event id,
// which the store counts once, so a redelivered batch changes nothing. A malformed delivery or event is logged with
// its log group, stream and event id and skipped; only a store failure (which a retry can fix) fails the invocation.
import type { BanDecision, Failure } from "../../shared/jail/decision.js";
import type { JailRunner } from "../../shared/jail/jail-runner.js";
import { normalizeAddress } from "../../shared/net/ip.js";
import type { Store } from "../../shared/store/store.js";
import type { BanAlert } from "../alerts/ban-alert.js";
import type { DeployedJail } from "../deployment/deployment-config.js";
import type { EnforcementReport } from "../enforcement/enforce-bans.js";
import { decodeDelivery, type LogBatch, MalformedPayloadError } from "../logs/subscription-payload.js";
import type { EmbeddedMetrics } from "../metrics/embedded-metrics.js";
import { runKeyedTasks } from "./keyed-tasks.js";
import { KnownBans, type UnbanEpoch } from "./known-bans.js";
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
  /** Adds new bans to the targets at once (only adds: the scheduled run is the one that removes). */
  readonly enforce: (bans: readonly BanDecision[]) => Promise<EnforcementReport>;
  /** Sends the alerts of new bans (one message, or a digest). */
  readonly announce?: (alerts: readonly BanAlert[]) => Promise<void>;
  /** This container's memory of bans (skips failures of banned addresses). @default one delivery's memory */
  readonly knownBans?: KnownBans;
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

/** Without a container memory, a delivery's own memory needs no epoch (it lives shorter than any unban). */
const NO_EPOCH: UnbanEpoch = { read: async () => 0, bump: async () => {} };

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
  // Bans already known (this container's memory, checked against the unban epoch once per delivery): the later
  // failures of a banned address cost no store request (an attack goes on for a while after its ban).
  const known = deps.knownBans ?? new KnownBans(NO_EPOCH);
  if (deps.knownBans) await deps.knownBans.refresh(now);
  const groups = new Map<string, { jail: string; fid: string; items: Failure[] }>();
  let failures = 0;
  let duplicates = 0;
  let skipped = 0;
  const inputs = batch.logEvents.map((logEvent) => ({
    message: logEvent.message,
    eventTime: Math.floor(logEvent.timestamp / 1000),
  }));
  // An attack repeats its address thousands of times per delivery: each text is put in canonical form once.
  const canonical = new Map<string, string>();
  for (const { jail, matcher } of jails) {
    let jailFailures = 0;
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
      if (output.unidentified) {
        // A failregex with an optional <ADDR> matched a line that had none: nothing to count, said loudly.
        log("error", `log event matched by jail ${jail.name} without an address or failure id: not counted`, {
          ...where,
          eventId: logEvent.id,
        });
        metrics.add("MalformedEvents", 1);
      }
      for (const [index, failure] of output.failures.entries()) {
        jailFailures++;
        const text = failure.fid ?? failure.ip;
        let fid = canonical.get(text);
        if (fid === undefined) {
          fid = normalizeAddress(text);
          canonical.set(text, fid);
        }
        const key = `${jail.name}|${fid}`;
        if (known.covers(key, Math.min(failure.time, now))) {
          skipped++;
          continue;
        }
        const group = groups.get(key) ?? { jail: jail.name, fid, items: [] };
        group.items.push({
          jail: jail.name,
          ip: failure.ip,
          ...(failure.fid !== undefined ? { fid: failure.fid } : {}),
          time: failure.time,
          eventId: index === 0 ? logEvent.id : `${logEvent.id}#${index}`,
          line: failure.line,
        });
        groups.set(key, group);
      }
    }
    // counted once per jail and delivery: a metric call per failure was a tenth of a warm delivery's time
    failures += jailFailures;
    if (jailFailures > 0) metrics.add("Failures", jailFailures, { Jail: jail.name });
  }
  // One compare-and-set per address and jail for the whole delivery (its failures applied in log order); different
  // addresses side by side.
  const tasks = new Map(
    [...groups].map(([key, group]) => [
      key,
      [
        async () => {
          for (const item of group.items) {
            const seen = firstSeen.get(key);
            firstSeen.set(key, {
              first: Math.min(seen?.first ?? item.time, item.time),
              count: (seen?.count ?? 0) + 1,
            });
          }
          const outcomes = await deps.runner.recordFailures(group.items, now);
          let alreadyBanned = false;
          for (const [position, outcome] of outcomes.entries()) {
            if (outcome.kind === "duplicate") duplicates++;
            if (outcome.kind === "banned") alreadyBanned = true;
            if (outcome.kind === "ban") {
              known.remember(key, outcome.ban.time, outcome.ban.banUntil);
              bans.push(outcome.ban);
              metrics.add("Bans", 1, { Jail: group.jail });
              log("info", `ban ${outcome.ban.ip} in ${group.jail}`, {
                ...where,
                eventId: group.items[position]!.eventId,
                until: outcome.ban.banUntil,
              });
            }
          }
          if (alreadyBanned && !known.covers(key, now)) {
            // banned by an earlier delivery: learn its end once, so that its next failures cost nothing
            const ban = (await deps.store.get(group.jail, group.fid))?.entry.ban;
            if (ban?.active) known.remember(key, ban.time, ban.until);
          }
        },
      ],
    ]),
  );
  await runKeyedTasks(tasks, STORE_CONCURRENCY);
  metrics.add("FailuresOfKnownBans", skipped);

  let enforcement: EnforcementReport | undefined;
  if (bans.length > 0) {
    enforcement = await deps.enforce(bans);
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

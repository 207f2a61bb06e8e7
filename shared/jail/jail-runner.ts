import { createHash } from "node:crypto";
import { CloudjailError } from "../errors.js";
import { normalizeAddress } from "../net/ip.js";
import type { JailEntry, Store, StoredEntry } from "../store/store.js";
import { banInForce } from "../store/store.js";
import type { BanDecision, Decision, Failure, FailureOutcome, UnbanDecision } from "./decision.js";
import {
  applyFailures,
  applyManualBan,
  applyUnban,
  DEFAULT_PURGE_AGE,
  type DecisionContext,
  type EntryChange,
  type NormalisedFailure,
  otherJailsBanCount,
  screenFailure,
} from "./jail-decision.js";
import type { JailPolicy } from "./jail-policy.js";

/** Another writer kept changing the same entry: the compare-and-set gave up after `attempts` tries. */
export class StoreContentionError extends CloudjailError {
  override name = "StoreContentionError";
}

/** How a {@link JailRunner} works. */
export interface JailRunnerOptions {
  readonly store: Store;
  readonly jails: readonly JailPolicy[];
  /** dbpurgeage, seconds (default one day). */
  readonly purgeAge?: number;
  /** Random source for bantime.rndtime (default Math.random; inject a fixed one for reproducible replays). */
  readonly random?: () => number;
  /** Compare-and-set tries before giving up (default 50). */
  readonly maxAttempts?: number;
  /** Waits before try `attempt` + 1 after a lost compare-and-set (default: short jittered backoff). */
  readonly backoff?: (attempt: number) => Promise<void>;
}

/** A ban in force, as enforcement and `status` see it. */
export interface ActiveBan {
  readonly jail: string;
  readonly ip: string;
  readonly fid: string;
  readonly time: number;
  readonly banUntil: number | null;
  readonly banCount: number;
}

/**
 * Runs jails over a {@link Store}: the entry point of the ingest Lambda, the host daemon and `cloudjail replay`.
 * It holds no state of its own (several runners, in several processes, may share one store); every decision is
 * one read, a pure computation (jail-decision.ts) and at most one compare-and-set write, retried on conflict.
 * Time is always passed in: the clock in operation, the log time in a replay.
 */
export class JailRunner {
  private readonly store: Store;
  private readonly policies: ReadonlyMap<string, JailPolicy>;
  private readonly purgeAge: number;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => Promise<void>;

  /** A runner for `options.jails` on `options.store`. */
  constructor(options: JailRunnerOptions) {
    this.store = options.store;
    this.policies = new Map(options.jails.map((policy) => [policy.name, policy]));
    this.purgeAge = options.purgeAge ?? DEFAULT_PURGE_AGE;
    this.random = options.random ?? Math.random;
    this.maxAttempts = options.maxAttempts ?? 50;
    this.backoff = options.backoff ?? jitteredBackoff;
  }

  /** The policy of `jail`; throws a CloudjailError for a jail this runner does not run. */
  policy(jail: string): JailPolicy {
    const policy = this.policies.get(jail);
    if (!policy) throw new CloudjailError(`unknown jail "${jail}" (running: ${[...this.policies.keys()].join(", ")})`);
    return policy;
  }

  /**
   * Counts one failure at time `now` (default: the failure's own time, as in a replay) and says what came of it.
   * Safe to call concurrently, from many processes, and twice with the same event id.
   */
  async recordFailure(failure: Failure, now: number = failure.time): Promise<FailureOutcome> {
    // one failure at a time is the daemon's path, once per failure line: no batch grouping to build
    const policy = this.policy(failure.jail);
    const normalised = normaliseFailure(failure);
    const rejected = screenFailure(normalised, policy, now);
    if (rejected) return rejected;
    const [outcome] = await this.applyGroup(policy, [normalised], now);
    return outcome!;
  }

  /**
   * Counts a batch of failures (a Lambda invocation's, a chunk of a tailed file) and returns one outcome per
   * failure, in order. Failures of the same jail and address are applied together, in order, with a single
   * compare-and-set write; different addresses are written in parallel. `now` is the clock for the whole batch;
   * without it each failure is judged at its own time (replays).
   */
  async recordFailures(failures: readonly Failure[], now?: number): Promise<FailureOutcome[]> {
    const outcomes: FailureOutcome[] = new Array(failures.length);
    const groups = new Map<string, { policy: JailPolicy; items: { index: number; failure: NormalisedFailure }[] }>();
    failures.forEach((failure, index) => {
      const policy = this.policy(failure.jail);
      const normalised = normaliseFailure(failure);
      const rejected = screenFailure(normalised, policy, now ?? normalised.time);
      if (rejected) {
        outcomes[index] = rejected;
        return;
      }
      const key = `${normalised.jail}\u0000${normalised.fid}`;
      const group = groups.get(key) ?? { policy, items: [] };
      group.items.push({ index, failure: normalised });
      groups.set(key, group);
    });
    await Promise.all(
      [...groups.values()].map(async ({ policy, items }) => {
        const results = await this.applyGroup(
          policy,
          items.map((item) => item.failure),
          now,
        );
        items.forEach((item, position) => {
          outcomes[item.index] = results[position]!;
        });
      }),
    );
    return outcomes;
  }

  // Failures of one jail and failure id, in order: one compare-and-set for all of them.
  private applyGroup(
    policy: JailPolicy,
    batch: NormalisedFailure[],
    now: number | undefined,
  ): Promise<FailureOutcome[]> {
    const first = batch[0]!;
    const contextOf = (extra: Partial<DecisionContext>) => (failure: NormalisedFailure) => ({
      ...this.context(now ?? failure.time),
      ...extra,
    });
    return this.compareAndSet(first.jail, first.fid, async (stored) => {
      const change = applyFailures(stored?.entry, batch, policy, contextOf({}));
      const bans = change.outcome.some((outcome) => outcome.kind === "ban");
      if (!bans || !policy.increment.enabled || !policy.increment.overallJails) return change;
      // Only a ban needs the other jails' history: read it then, not for every failure.
      const otherJailsBans = await this.otherJailsBans(first.jail, first.fid, now ?? first.time);
      return applyFailures(stored?.entry, batch, policy, contextOf({ otherJailsBans }));
    });
  }

  /** Bans `ip` by hand in `jail` at `now`; undefined when it is ignored or already banned there. */
  async ban(jail: string, ip: string, now: number): Promise<BanDecision | undefined> {
    const policy = this.policy(jail);
    const address = normalizeAddress(ip);
    const target = { jail, ip: address, fid: address };
    return this.compareAndSet(jail, address, async (stored) => {
      const context = this.context(now);
      if (!policy.increment.enabled || !policy.increment.overallJails) {
        return applyManualBan(stored?.entry, target, policy, context);
      }
      const otherJailsBans = await this.otherJailsBans(jail, address, now);
      return applyManualBan(stored?.entry, target, policy, { ...context, otherJailsBans });
    });
  }

  /** Lifts the ban of `fid` (normally the address) in `jail` at `now`; undefined when none is in force. */
  async unban(jail: string, fid: string, now: number): Promise<UnbanDecision | undefined> {
    const policy = this.policy(jail);
    return this.compareAndSet(jail, normalizeAddress(fid), async (stored) => {
      if (!stored || !banInForce(stored.entry, now)) return { outcome: undefined };
      return applyUnban(stored.entry, "manual", policy, this.context(now));
    });
  }

  /**
   * Ends every ban whose time is over at `now` and returns the unbans, oldest first. Idempotent and safe to run
   * concurrently: each ban ends once. Bans of jails this runner does not run are left alone.
   */
  async expireBans(now: number): Promise<UnbanDecision[]> {
    const due = await this.store.dueBans(now);
    const unbans: UnbanDecision[] = [];
    for (const { entry } of due) {
      const policy = this.policies.get(entry.jail);
      if (!policy) continue;
      const unban = await this.compareAndSet(entry.jail, entry.fid, async (stored) =>
        applyUnban(stored?.entry, "expired", policy, this.context(now)),
      );
      if (unban) unbans.push(unban);
    }
    return unbans.sort((a, b) => a.time - b.time);
  }

  /** Bans in force at `now` (optionally in one jail), from the store, filtered on time whatever TTL left behind. */
  async activeBans(now: number, jail?: string): Promise<ActiveBan[]> {
    const stored = await this.store.activeBans(now, jail);
    return stored
      .filter(({ entry }) => banInForce(entry, now))
      .map(({ entry }) => ({
        jail: entry.jail,
        ip: entry.ip,
        fid: entry.fid,
        time: entry.ban!.time,
        banUntil: entry.ban!.until,
        banCount: entry.ban!.count,
      }));
  }

  private context(now: number): DecisionContext {
    return { now, purgeAge: this.purgeAge, random: this.random };
  }

  private async otherJailsBans(jail: string, fid: string, now: number): Promise<number> {
    const entries = await this.store.listByFid(fid);
    return otherJailsBanCount(
      entries.map((stored) => stored.entry),
      jail,
      (name) => this.policies.get(name),
      now,
      this.purgeAge,
    );
  }

  // Read, decide, write if the version is unchanged; on conflict decide again from the fresh entry.
  private async compareAndSet<Outcome>(
    jail: string,
    fid: string,
    decide: (stored: StoredEntry | undefined) => Promise<EntryChange<Outcome>>,
  ): Promise<Outcome> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.store.get(jail, fid);
      const change = await decide(stored);
      if (!change.entry) return change.outcome;
      const written = await this.store.put(change.entry as JailEntry, stored?.version ?? null);
      if (written !== undefined) return change.outcome;
      if (attempt >= this.maxAttempts) {
        throw new StoreContentionError(
          `gave up updating jail "${jail}" entry "${fid}" after ${attempt} conflicting writes in the ${this.store.kind} store`,
        );
      }
      await this.backoff(attempt);
    }
  }
}

/**
 * Runs failures through `runner` in log time, as `cloudjail replay` does: before each failure, bans whose time ran
 * out are lifted; returns every ban and unban in order. Failures must come sorted by time. With `endTime`, bans
 * ending up to then are lifted at the end too (a replay usually passes the last log time, or none).
 */
export async function replayFailures(
  runner: JailRunner,
  failures: Iterable<Failure> | AsyncIterable<Failure>,
  endTime?: number,
): Promise<Decision[]> {
  const decisions: Decision[] = [];
  for await (const failure of failures) {
    for (const expired of await runner.expireBans(failure.time)) decisions.push(expired);
    const outcome = await runner.recordFailure(failure, failure.time);
    if (outcome.kind === "ban") decisions.push(outcome.ban);
  }
  if (endTime !== undefined) for (const expired of await runner.expireBans(endTime)) decisions.push(expired);
  return decisions;
}

// Longest address text accepted (a host name with usedns=raw at most; IPv6 text is 45 characters).
const MAX_ADDRESS_LENGTH = 255;
// A filter's <F-ID> is attacker-controlled text and becomes part of a store key (DynamoDB allows 2 KB): long ones
// are replaced by their digest, which keeps them distinct and bounded.
const MAX_FID_LENGTH = 200;

// Canonical address and failure id, bounded sizes; throws on what no jail can use.
function normaliseFailure(failure: Failure): NormalisedFailure {
  if (!Number.isFinite(failure.time)) throw new CloudjailError(`failure of ${failure.ip} has no valid time`);
  const ip = normalizeAddress(failure.ip);
  if (ip.length > MAX_ADDRESS_LENGTH) throw new CloudjailError(`address too long (${ip.length} characters)`);
  return {
    jail: failure.jail,
    ip,
    // the failure id is most often the address itself: normalised once
    fid: failure.fid === undefined || failure.fid === failure.ip ? ip : failureId(failure.fid),
    time: failure.time,
    ...(failure.eventId === undefined ? {} : { eventId: failure.eventId }),
    ...(failure.line === undefined ? {} : { line: failure.line }),
  };
}

function failureId(fid: string): string {
  const normalised = normalizeAddress(fid);
  if (normalised.length <= MAX_FID_LENGTH) return normalised;
  return `sha256:${createHash("sha256").update(normalised).digest("hex")}`;
}

function jitteredBackoff(attempt: number): Promise<void> {
  const ceiling = Math.min(100, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

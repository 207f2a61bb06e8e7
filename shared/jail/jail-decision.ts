import type { BanState, JailEntry } from "../store/store.js";
import { nextBanTime } from "./ban-time.js";
import type { BanDecision, FailureOutcome, UnbanDecision } from "./decision.js";
import { addToWindow, windowAlive } from "./failure-window.js";
import type { JailPolicy } from "./jail-policy.js";

/** fail2ban's `dbpurgeage` default: ban history is kept a day (longer for long bans, see {@link banHistoryAlive}). */
export const DEFAULT_PURGE_AGE = 24 * 60 * 60;

/** Inputs of a decision besides the entry and the policy. */
export interface DecisionContext {
  /** Current time, epoch seconds (the log time in a replay, the clock in operation). */
  readonly now: number;
  /** dbpurgeage, seconds. */
  readonly purgeAge: number;
  /** Uniform random number in [0, 1) for bantime.rndtime. */
  readonly random: () => number;
  /** With bantime.overalljails: the live ban counts of this failure id in the other jails, summed. */
  readonly otherJailsBans?: number;
}

/** The result of applying an event to an entry: the entry to write (none: no write) and what happened. */
export interface EntryChange<Outcome> {
  readonly entry?: JailEntry;
  readonly outcome: Outcome;
}

/**
 * True while a ban is remembered for increments: permanent bans always; others, like fail2ban's purge of `bips`,
 * until `dbpurgeage` after three times the ban length past the ban start.
 */
export function banHistoryAlive(ban: BanState | undefined, now: number, purgeAge: number): boolean {
  if (!ban) return false;
  if (ban.until === null) return ban.active || (ban.endedAt ?? ban.time) + purgeAge > now;
  return ban.time + 3 * Math.max(ban.banTime, 0) + purgeAge > now;
}

/**
 * The entry as it stands at `now`: parts that time has made meaningless are dropped, whatever the store still holds
 * (deletion by TTL or purge can lag). Returns undefined when nothing is left.
 */
export function liveEntry(
  entry: JailEntry | undefined,
  policy: JailPolicy,
  now: number,
  purgeAge: number,
): JailEntry | undefined {
  if (!entry || (entry.expiresAt !== null && entry.expiresAt <= now)) return undefined;
  const window = windowAlive(entry.window, policy.findTime, now) ? entry.window : undefined;
  const ban = banHistoryAlive(entry.ban, now, purgeAge) ? entry.ban : undefined;
  if (!window && !ban) return undefined;
  return {
    jail: entry.jail,
    fid: entry.fid,
    ip: entry.ip,
    ...(window ? { window } : {}),
    ...(ban ? { ban } : {}),
    expiresAt: entry.expiresAt,
  };
}

/** When the whole entry may be deleted: the latest moment any part of it still matters (null: never). */
export function entryExpiry(entry: Omit<JailEntry, "expiresAt">, policy: JailPolicy, purgeAge: number): number | null {
  let expiry = Number.NEGATIVE_INFINITY;
  if (entry.window) expiry = entry.window.lastTime + policy.findTime;
  const ban = entry.ban;
  if (ban) {
    if (ban.until === null) {
      if (ban.active) return null;
      expiry = Math.max(expiry, (ban.endedAt ?? ban.time) + purgeAge);
    } else expiry = Math.max(expiry, ban.time + 3 * Math.max(ban.banTime, 0) + purgeAge, ban.until);
  }
  return Number.isFinite(expiry) ? expiry : null;
}

/** The moment a ban stopped (or stops) applying: its end, or the earlier manual unban. Infinity when permanent. */
export function banEnd(ban: BanState): number {
  const until = ban.until ?? Number.POSITIVE_INFINITY;
  return ban.endedAt === undefined ? until : Math.min(until, ban.endedAt);
}

/** Identity and content of one failure after normalisation (see JailRunner). */
export interface NormalisedFailure {
  readonly jail: string;
  readonly ip: string;
  readonly fid: string;
  readonly time: number;
  readonly eventId?: string;
  readonly line?: string;
}

/**
 * The checks that need no stored state: an ignored address, a failure older than findtime. Returns the outcome
 * when the failure stops here (so the caller need not even read the store), undefined when it must be counted.
 */
export function screenFailure(
  failure: Pick<NormalisedFailure, "ip" | "time">,
  policy: JailPolicy,
  now: number,
): FailureOutcome | undefined {
  if (policy.ignore.contains(failure.ip)) return { kind: "ignored" };
  if (Math.min(failure.time, now) <= now - policy.findTime) return { kind: "obsolete" };
  return undefined;
}

/**
 * Applies one failure to the stored entry of its (jail, fid), with fail2ban's semantics: ignore list first, then
 * obsolete, duplicate and already-banned failures cost nothing; otherwise the failure is counted (weighted for known
 * offenders when bantime.increment is on) and, when the count reaches maxretry, the window is consumed by a ban
 * whose length grows with the previous bans. Pure: the caller writes the returned entry with compare-and-set.
 */
export function applyFailure(
  stored: JailEntry | undefined,
  failure: NormalisedFailure,
  policy: JailPolicy,
  context: DecisionContext,
): EntryChange<FailureOutcome> {
  const { now, purgeAge } = context;
  const rejected = screenFailure(failure, policy, now);
  if (rejected) return { outcome: rejected };
  // A failure stamped in the future (clock skew, assumed year) counts as happening now, as fail2ban does.
  const time = Math.min(failure.time, now);

  const current = liveEntry(stored, policy, now, purgeAge);
  const history = current?.ban;
  if (history && (time <= history.time || time < banEnd(history))) return { outcome: { kind: "banned" } };
  const window = current?.window;
  if (failure.eventId !== undefined && window?.events.some((event) => event.id === failure.eventId)) {
    return { outcome: { kind: "duplicate" } };
  }

  // Known offenders count more: 2, 3, 5, 9 ... per failure after 1, 2, 3, 4 ... bans (capped at maxretry).
  let weight = 1;
  if (policy.increment.enabled && history) {
    weight = Math.max(1, Math.min(2 ** Math.min(history.count, 20) / 2 + 1, policy.maxRetry));
  }
  const counted = addToWindow(
    window,
    {
      time,
      weight,
      ...(failure.eventId === undefined ? {} : { eventId: failure.eventId }),
      ...(failure.line === undefined ? {} : { line: failure.line }),
    },
    policy.findTime,
    policy.maxMatches,
    now,
  );
  const base = { jail: failure.jail, fid: failure.fid, ip: failure.ip };
  if (counted.retry < policy.maxRetry) {
    const next = { ...base, window: counted, ...(history ? { ban: history } : {}) };
    return {
      entry: { ...next, expiresAt: entryExpiry(next, policy, purgeAge) },
      outcome: { kind: "counted", failures: counted.retry },
    };
  }

  const previousBans = previousBanCount(history, policy, context);
  const banTime = nextBanTime(policy.banTime, previousBans, policy.increment, context.random);
  const start = counted.lastTime;
  const permanent = banTime < 0;
  const until = permanent ? null : start + banTime;
  // The window is consumed by the ban attempt either way, like fail2ban's FailManager.toBan. After a ban, a
  // redelivered event of that window is not counted again: it is at or before the ban start, so it is "banned".
  // Without a ban the emptied window keeps its event ids, so that a redelivery is still a duplicate.
  if (until !== null && until < now) {
    const consumed = { ...counted, retry: 0, attempts: 0, matches: [] };
    const next = { ...base, window: consumed, ...(history ? { ban: history } : {}) };
    return { entry: { ...next, expiresAt: entryExpiry(next, policy, purgeAge) }, outcome: { kind: "expired-ban" } };
  }
  const ban: BanState = {
    time: start,
    banTime,
    until,
    count: previousBans + 1,
    failures: counted.attempts,
    matches: counted.matches,
    active: true,
  };
  const next = { ...base, ban };
  return {
    entry: { ...next, expiresAt: entryExpiry(next, policy, purgeAge) },
    outcome: { kind: "ban", ban: banDecision(next, ban) },
  };
}

/**
 * Bans `ip` by hand in `policy`'s jail at `now` (fail2ban-client `banip`): a ban like one earned by failures,
 * counted for increments. Returns no entry when the address is ignored or already banned.
 */
export function applyManualBan(
  stored: JailEntry | undefined,
  target: Pick<NormalisedFailure, "jail" | "ip" | "fid">,
  policy: JailPolicy,
  context: DecisionContext,
): EntryChange<BanDecision | undefined> {
  const { now, purgeAge } = context;
  if (policy.ignore.contains(target.ip)) return { outcome: undefined };
  const history = liveEntry(stored, policy, now, purgeAge)?.ban;
  if (history && now < banEnd(history)) return { outcome: undefined };
  const previousBans = previousBanCount(history, policy, context);
  const banTime = nextBanTime(policy.banTime, previousBans, policy.increment, context.random);
  const ban: BanState = {
    time: now,
    banTime,
    until: banTime < 0 ? null : now + banTime,
    count: previousBans + 1,
    failures: 0,
    matches: [],
    active: true,
  };
  const next = { jail: target.jail, fid: target.fid, ip: target.ip, ban };
  return { entry: { ...next, expiresAt: entryExpiry(next, policy, purgeAge) }, outcome: banDecision(next, ban) };
}

/**
 * Ends the ban of an entry: `expired` when its time ran out (the unban is dated at its end), `manual` for an
 * operator's unban at `now`. The ban stays in the history for increments. No entry when there is nothing to end.
 */
export function applyUnban(
  stored: JailEntry | undefined,
  reason: UnbanDecision["reason"],
  policy: JailPolicy,
  context: Pick<DecisionContext, "now" | "purgeAge">,
): EntryChange<UnbanDecision | undefined> {
  const ban = stored?.ban;
  if (!stored || !ban?.active) return { outcome: undefined };
  const ends = ban.until ?? Number.POSITIVE_INFINITY;
  if (reason === "expired" && ends > context.now) return { outcome: undefined };
  const time = reason === "expired" ? ends : Math.min(context.now, ends);
  const ended: BanState = { ...ban, active: false, endedAt: time };
  const live = liveEntry(stored, policy, context.now, context.purgeAge);
  const next = {
    jail: stored.jail,
    fid: stored.fid,
    ip: stored.ip,
    ...(live?.window ? { window: live.window } : {}),
    ban: ended,
  };
  return {
    entry: { ...next, expiresAt: entryExpiry(next, policy, context.purgeAge) },
    outcome: { kind: "unban", time, jail: stored.jail, ip: stored.ip, fid: stored.fid, banCount: ban.count, reason },
  };
}

/**
 * Applies failures of one (jail, fid), in order, as one change: the batch of a Lambda invocation or of a tailed
 * file costs a single write however many failures of the address it holds. `contextOf` gives each failure's
 * context (the same clock for a batch, the failure's own time in a replay).
 */
export function applyFailures(
  stored: JailEntry | undefined,
  failures: readonly NormalisedFailure[],
  policy: JailPolicy,
  contextOf: (failure: NormalisedFailure) => DecisionContext,
): EntryChange<FailureOutcome[]> {
  let entry = stored;
  let changed = false;
  const outcomes: FailureOutcome[] = [];
  for (const failure of failures) {
    const change = applyFailure(entry, failure, policy, contextOf(failure));
    outcomes.push(change.outcome);
    if (change.entry) {
      entry = change.entry;
      changed = true;
    }
  }
  return changed && entry ? { entry, outcome: outcomes } : { outcome: outcomes };
}

// fail2ban's previous-ban count: this jail's, or with overalljails the sum over all jails.
function previousBanCount(history: BanState | undefined, policy: JailPolicy, context: DecisionContext): number {
  const own = history?.count ?? 0;
  return policy.increment.overallJails ? own + (context.otherJailsBans ?? 0) : own;
}

/** The live ban counts of a failure id in every jail but `jail`, summed (for bantime.overalljails). */
export function otherJailsBanCount(
  entries: readonly JailEntry[],
  jail: string,
  policyOf: (jail: string) => JailPolicy | undefined,
  now: number,
  purgeAge: number,
): number {
  let total = 0;
  for (const entry of entries) {
    if (entry.jail === jail) continue;
    const policy = policyOf(entry.jail);
    const ban = policy
      ? liveEntry(entry, policy, now, purgeAge)?.ban
      : banHistoryAlive(entry.ban, now, purgeAge)
        ? entry.ban
        : undefined;
    total += ban?.count ?? 0;
  }
  return total;
}

function banDecision(entry: { jail: string; ip: string; fid: string }, ban: BanState): BanDecision {
  return {
    kind: "ban",
    time: ban.time,
    jail: entry.jail,
    ip: entry.ip,
    fid: entry.fid,
    failures: ban.failures,
    banTime: ban.banTime,
    banUntil: ban.until,
    permanent: ban.until === null,
    banCount: ban.count,
    matches: ban.matches,
  };
}

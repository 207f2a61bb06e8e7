import type { FailureWindow } from "../store/store.js";

/** Longest matched line kept in a window or ban (attacker-controlled text, so its size is bounded). */
export const MAX_MATCH_LENGTH = 1000;
/** Most event ids a window remembers; bounds the record size whatever the attack rate. */
export const MAX_REMEMBERED_EVENTS = 1000;

/** One failure as the counting sees it. */
export interface CountedFailure {
  readonly time: number;
  readonly eventId?: string;
  readonly line?: string;
  /** How much the failure counts: 1, more for known offenders (bantime.increment). */
  readonly weight: number;
}

/**
 * Adds a failure to a counting window with fail2ban's rules. A failure later than the window's last one moves the
 * window's end; when the window then spans more than `findTime`, the count is rescaled to the rate over the old span
 * times `findTime` (rounded half to even, like Python) and the window start moves to `time - findTime`. A failure
 * that is not later (out of order) just adds its weight. `now` bounds the remembered event ids to those that can
 * still be counted. A window with no attempts (emptied by a ban attempt) starts over. Pure: returns a new window.
 */
export function addToWindow(
  window: FailureWindow | undefined,
  failure: CountedFailure,
  findTime: number,
  maxMatches: number,
  now: number,
): FailureWindow {
  // A window emptied by a ban attempt (no attempts left, only event ids) starts again like a new one.
  const open = window !== undefined && window.attempts > 0;
  let firstTime = open ? window.firstTime : failure.time;
  let lastTime = open ? window.lastTime : failure.time;
  let retry = open ? window.retry : 0;
  if (open && failure.time > lastTime) {
    if (firstTime < failure.time - findTime) {
      retry = roundHalfEven((retry / (failure.time - firstTime)) * findTime);
      firstTime = failure.time - findTime;
    }
    lastTime = failure.time;
  }
  retry += failure.weight;

  const horizon = now - findTime;
  const events = (window?.events ?? []).filter((event) => event.time > horizon);
  if (failure.eventId !== undefined) events.push({ id: failure.eventId, time: failure.time });
  const matches = [...(window?.matches ?? [])];
  if (failure.line !== undefined && maxMatches > 0) matches.push(failure.line.slice(0, MAX_MATCH_LENGTH));

  return {
    firstTime,
    lastTime,
    retry,
    attempts: (window?.attempts ?? 0) + 1,
    events: events.slice(-MAX_REMEMBERED_EVENTS),
    matches: maxMatches > 0 ? matches.slice(-maxMatches) : [],
  };
}

/** True when the window still counts at `now`: fail2ban forgets a failure id whose last failure is findtime old. */
export function windowAlive(window: FailureWindow | undefined, findTime: number, now: number): boolean {
  return window !== undefined && window.lastTime > now - findTime;
}

/** Python 3's round(): halves go to the even neighbour (2.5 -> 2, 3.5 -> 4). */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

// How a guarded filter shares its thread with the others: the size of its turns, measured from its own lines, and
// when it is the jail that makes the thread unfair (lines abandoned again and again, or slow line after slow line).
// Attackers choose what the lines cost: a few crafted lines per second can each take a regex close to the budget, and
// a thread that served them whole batches at a time would keep every other jail on it waiting for minutes.

/** Thread time one turn of a filter aims at: other filters wait at most about that long for theirs. */
export const TURN_MS = 25;
/** Most lines in one request to the worker (messages stay small). */
export const MAX_TURN_LINES = 2048;
/** Lines of the first turn, before the filter's cost is known (the worker also ends a turn after TURN_MS). */
const FIRST_TURN_LINES = 64;
/** Weight of the newest turn in the cost per line. */
const COST_WEIGHT = 0.3;

/** A filter's measured cost per line, and the turn size it gives. */
export class TurnSizer {
  /** Milliseconds per line, averaged over recent turns; undefined before the first. */
  msPerLine: number | undefined;

  /** Lines to send in the next turn: about TURN_MS of work, at least one. */
  nextLines(): number {
    if (this.msPerLine === undefined) return FIRST_TURN_LINES;
    const lines = Math.floor(TURN_MS / Math.max(this.msPerLine, 1e-4));
    return Math.max(1, Math.min(MAX_TURN_LINES, lines));
  }

  /** A turn ran `lines` lines in `ms` milliseconds of the worker's time. */
  record(lines: number, ms: number): void {
    if (lines <= 0) return;
    const cost = ms / lines;
    this.msPerLine = this.msPerLine === undefined ? cost : this.msPerLine + COST_WEIGHT * (cost - this.msPerLine);
  }
}

/**
 * Lines abandoned within STALL_WINDOW_MS from which a filter is isolated. Each one restarts the worker under every
 * filter of the thread (seconds on a loaded machine): the second is already one too many for them.
 */
export const ISOLATE_AFTER_STALLS = 2;
export const STALL_WINDOW_MS = 10 * 60_000;
/**
 * The average cost is judged over at least SLOW_WINDOW_LINES lines and SLOW_WINDOW_MS of the worker's time (a cheap
 * filter preempted on a busy machine takes thousands of lines to fill the time, and its average stays low); from
 * SLOW_LINE_MS a line the filter is isolated as slow. Lines of 40 ms are judged within about a second.
 */
export const SLOW_WINDOW_LINES = 20;
export const SLOW_WINDOW_MS = 500;
export const SLOW_LINE_MS = 2;
/** A filter's first turns, not counted in its average. */
const WARM_UP_TURNS = 2;

/**
 * Watches one filter for the behaviour that makes it unfair to the others on its thread; `stalled` and `ran` return
 * the reason to isolate it the first time it is met, else undefined. A normal filter costs microseconds per line; a
 * stock filter fed crafted lines can cost tens of milliseconds each.
 */
export class FairnessWatch {
  private readonly stalls: number[] = [];
  private windowLines = 0;
  private windowMs = 0;
  /** Turns not judged yet: a filter's first lines compile its date templates (tens of ms once), not a slow line. */
  private warmUpTurns = WARM_UP_TURNS;

  /** A line was abandoned at `now` (epoch ms). */
  stalled(now: number): string | undefined {
    this.stalls.push(now);
    while (this.stalls.length > 0 && this.stalls[0]! <= now - STALL_WINDOW_MS) this.stalls.shift();
    if (this.stalls.length < ISOLATE_AFTER_STALLS) return undefined;
    return `${this.stalls.length} lines abandoned within ${STALL_WINDOW_MS / 60_000} minutes`;
  }

  /** A turn ran `lines` lines in `ms` milliseconds. */
  ran(lines: number, ms: number): string | undefined {
    if (this.warmUpTurns > 0) {
      this.warmUpTurns--;
      return undefined;
    }
    this.windowLines += lines;
    this.windowMs += ms;
    if (this.windowLines < SLOW_WINDOW_LINES || this.windowMs < SLOW_WINDOW_MS) return undefined;
    const average = this.windowMs / this.windowLines;
    const count = this.windowLines;
    this.windowLines = 0;
    this.windowMs = 0;
    if (average < SLOW_LINE_MS) return undefined;
    return `its lines took ${average.toFixed(1)} ms each on average over the last ${count} (a normal filter takes microseconds)`;
  }
}

// A filter that cannot be stalled by a pathological line. Attackers write the logs we read, and a backtracking regex
// engine can spend seconds (or years) on one crafted line. The filter therefore runs in a worker thread; the main
// thread watches which line the worker is on, and when one line takes longer than the budget it terminates the worker
// (V8 interrupts a running regex on terminate), reports that line as stalled, and goes on with a fresh worker.
// "Longer than the budget" means both wall time and the worker thread's own CPU time, so that neither a starved
// machine nor other busy threads of the process (the main thread, other jails' workers) get a line abandoned.
// Filters sharing a thread take turns of about TURN_MS each (see filter-turns), and a filter that is unfair to the
// others (lines abandoned again and again, or slow line after slow line) is moved to a quarantine thread, reported,
// and throttled. A fresh worker is fed again only the recent lines each filter's state needs (see replay-history),
// results dropped, so that multi-line buffers and sessions survive.
import { closeSync, openSync, readSync } from "node:fs";
import type { FilterSpec, LineContext, LineResult, LogFilterOptions } from "../log-filter.js";
import { FilterSetupError, FilterThread, type GuardOptions } from "./filter-thread.js";
import { FairnessWatch, MAX_TURN_LINES, TURN_MS, TurnSizer } from "./filter-turns.js";
import type { BatchResponse, FileChunk, FilePart, FileRequest } from "./protocol.js";
import { ReplayHistory, replayNeed } from "./replay-history.js";

export { FilterSetupError, FilterThread, type GuardOptions };

/** A line the filter gave up on: it ran past the time budget. */
export interface StalledLine {
  readonly stalled: true;
  /** The budget the line exceeded, in milliseconds. */
  readonly budgetMs: number;
  /** Wall time the line had run when it was abandoned, in milliseconds. */
  readonly elapsedMs: number;
  /** CPU time the worker thread spent on the line, in milliseconds (close to elapsedMs unless starved). */
  readonly cpuMs: number;
}

/** The outcome of one line through the guard. */
export type GuardedLineResult = LineResult | StalledLine;

/** Whether a guarded result is a stalled line. */
export function isStalled(result: GuardedLineResult): result is StalledLine {
  return (result as StalledLine).stalled === true;
}

/** What processFile hands its output to. */
export interface FileHandlers {
  /** Output up to (not including) the line at byte `next`. */
  readonly parts: (parts: readonly FilePart[], next: number) => void;
  readonly stalled: (line: StalledLine & { readonly lineNumber: number; readonly text: string }) => void;
}

/**
 * Output chunks of a file request (512 lines each, see the worker) read again, output dropped, into a fresh worker
 * after an abandoned line, before the lines since the last chunk are replayed with their output.
 */
const FILE_REPLAY_CHUNKS = 8;

/** Longest text of an abandoned line kept for reports. */
const STALLED_TEXT_BYTES = 4096;

/** The text of the line at bytes [start, next) of a file (without its terminator, cut at STALLED_TEXT_BYTES). */
function readLineAt(path: string, start: number, next: number): string {
  const length = Math.min(next - start, STALLED_TEXT_BYTES);
  const buffer = Buffer.alloc(length);
  const fd = openSync(path, "r");
  try {
    const read = readSync(fd, buffer, 0, length, start);
    return buffer.toString("utf8", 0, read).replace(/\r?\n$/, "");
  } finally {
    closeSync(fd);
  }
}

/** Thread time a replay into a fresh worker may take, by the filter's measured cost per line (see replayHistory). */
const REPLAY_BUDGET_MS = 250;
/** Work in one batch of lines its caller hands over, by the filter's measured cost (see batchLines). */
const BATCH_MS = 250;
/** Longest pause of a throttled filter between two turns. */
const THROTTLE_MAX_MS = 1000;

/** Where an unfair filter goes: the thread to host it, and what to call once it has left its old thread. */
export interface Relocation {
  readonly thread: FilterThread;
  readonly moved: () => Promise<void>;
}

/** What the owner of a guarded filter is told, and how the filter can leave its thread (see FilterThreadPool). */
export interface FilterEvents {
  /** The filter was found unfair to the others on its thread and is isolated and throttled; `reason` says why. */
  readonly onIsolated?: (reason: string) => void;
}

/** Guard options of one filter: a shared thread to run on, and the pool's hooks. */
export type FilterGuard = GuardOptions &
  FilterEvents & {
    readonly thread?: FilterThread;
    readonly onClose?: () => Promise<void>;
    /** A thread of its own (the pool's quarantine thread) for a filter that is unfair to the others. */
    readonly relocate?: () => Promise<Relocation>;
  };

/**
 * Runs a LogFilter in a watched worker thread, its own or one shared with other filters (`guard.thread`, see
 * FilterThreadPool). Create with `GuardedLogFilter.start`, end with `close`.
 */
export class GuardedLogFilter {
  /** Lines abandoned so far. */
  stalledLines = 0;
  /** Turns this filter had on its thread (each at most about TURN_MS, plus one line). */
  turns = 0;
  /** Lines fed again into fresh workers to rebuild this filter's state. */
  replayedLines = 0;
  /** Why the filter was isolated (moved to the quarantine thread and throttled); undefined while it is fair. */
  isolation: string | undefined;
  private readonly history: ReplayHistory;
  private readonly cost = new TurnSizer();
  private readonly fairness = new FairnessWatch();
  /** Milliseconds of the last turn (a throttled filter pauses as long before its next). */
  private lastTurnMs = 0;
  private isolating: Promise<void> | undefined;

  private constructor(
    private thread: FilterThread,
    private filterId: number,
    private readonly spec: FilterSpec,
    private readonly options: LogFilterOptions,
    /** Whether the thread is this filter's alone (closed with it). */
    private readonly ownThread: boolean,
    private readonly guard: FilterGuard,
  ) {
    this.history = new ReplayHistory(replayNeed(spec));
  }

  /**
   * Builds the filter in `guard.thread`, or in a thread of its own; rejects with FilterSetupError when the filter is
   * invalid. `guard.onClose` runs after `close` (the pool frees the filter's place).
   */
  static async start(spec: FilterSpec, options: LogFilterOptions, guard: FilterGuard): Promise<GuardedLogFilter> {
    const thread = guard.thread ?? (await FilterThread.start(guard));
    let filter: GuardedLogFilter | undefined;
    try {
      // once the filter has moved to another thread, this one's restarts no longer concern it
      const id = await thread.host(spec, options, () =>
        filter?.thread === thread ? filter.replayHistory() : Promise.resolve(true),
      );
      filter = new GuardedLogFilter(thread, id, spec, options, guard.thread === undefined, guard);
      return filter;
    } catch (error) {
      if (!guard.thread) await thread.close();
      throw error;
    }
  }

  /** Where the thread's CPU clock reads from: "schedstat" or "stat" (the worker thread's), "process" (every thread's). */
  get cpuClockSource(): string {
    return this.thread.cpuClockSource;
  }

  /** The current worker thread's /proc entry, where there is one. */
  get workerTask(): string | undefined {
    return this.thread.workerTask;
  }

  /** The thread the filter runs on now (another one once isolated). */
  get currentThread(): FilterThread {
    return this.thread;
  }

  /** Lines held for replays (bounded by what the filter's state needs, see replay-history). */
  get historySize(): number {
    return this.history.size;
  }

  /** The filter's measured cost per line in milliseconds, undefined before its first turn. */
  get msPerLine(): number | undefined {
    return this.cost.msPerLine;
  }

  /**
   * Lines worth about BATCH_MS of this filter's work by its measured cost (a first turn's worth before it is known):
   * a caller handing lines over in batches of this size gets the results of slow lines (failures, bans) as they
   * come, not after minutes of a backlog.
   */
  batchLines(): number {
    const perLine = this.cost.msPerLine;
    if (perLine === undefined) return this.cost.nextLines();
    return perLine <= 0 ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(BATCH_MS / perLine));
  }

  private get lineBudgetMs(): number {
    return this.thread.guard.lineBudgetMs;
  }

  /**
   * Processes lines in order; each result is a LineResult, or a StalledLine for a line that ran out of time. Lines of
   * different `source`s (log streams, files) keep separate multi-line buffers and sessions; none is one source.
   * The lines go to the worker in turns of about TURN_MS of work (sized by the filter's measured cost per line, and
   * ended by the worker when they run over): the other filters of the thread have their turns in between, so a jail
   * fed slow lines delays another jail by one turn, not by its whole backlog.
   */
  async processBatch(
    lines: readonly string[],
    contexts: readonly LineContext[],
    source?: string,
  ): Promise<GuardedLineResult[]> {
    const results: GuardedLineResult[] = [];
    let offset = 0;
    while (offset < lines.length) {
      if (this.isolation !== undefined && this.lastTurnMs > 0) {
        // throttled: it leaves the CPU to the other threads (and the daemon's own) as long as it used it
        await new Promise((resolve) => setTimeout(resolve, Math.min(THROTTLE_MAX_MS, this.lastTurnMs)));
      }
      const end = Math.min(lines.length, offset + this.cost.nextLines());
      const whole = offset === 0 && end === lines.length;
      const from = offset;
      offset += await this.thread.turn(this, () =>
        this.runTurn(
          whole ? lines : lines.slice(from, end),
          whole ? contexts : contexts.slice(from, end),
          source,
          results,
        ),
      );
      // alone on its thread (no pool) a filter delays nobody: only a pool's filters are isolated
      if (this.guard.relocate && this.isolating === undefined && this.unfairReason !== undefined) {
        this.isolating = this.isolate(this.unfairReason);
      }
      if (this.isolating) await this.isolating;
    }
    return results;
  }

  /** Set when the fairness watch found the filter unfair, until it is isolated. */
  private unfairReason: string | undefined;

  /**
   * One turn (inside the thread's turn for this filter): sends the lines with the turn's time, appends the results of
   * the lines finished and returns how many lines the turn consumed (an abandoned line counts, with its StalledLine).
   */
  private async runTurn(
    lines: readonly string[],
    contexts: readonly LineContext[],
    source: string | undefined,
    results: GuardedLineResult[],
  ): Promise<number> {
    this.turns++;
    const outcome = await this.thread.runOnce<BatchResponse>({
      filter: this.filterId,
      lines,
      contexts,
      turnMs: TURN_MS,
      ...(source !== undefined ? { source } : {}),
    });
    if (outcome.kind === "done") {
      const done = outcome.response.results;
      for (const result of done) results.push(result);
      this.history.remember(lines, contexts, 0, done.length, source);
      this.measured(done.length, outcome.response.elapsedMs);
      return done.length;
    }
    // the worker is stuck on one line: replace it (every filter on the thread rebuilds its state), process the lines
    // it had finished, skip the stuck one
    this.stalledLines++;
    this.unfairReason ??= this.fairness.stalled(Date.now());
    await this.thread.restart();
    const finished = outcome.index;
    if (finished > 0) await this.runAll(lines.slice(0, finished), contexts.slice(0, finished), source, results);
    results.push({ stalled: true, budgetMs: this.lineBudgetMs, elapsedMs: outcome.elapsedMs, cpuMs: outcome.cpuMs });
    this.measured(1, outcome.elapsedMs);
    return finished + 1;
  }

  private measured(lines: number, ms: number): void {
    this.lastTurnMs = ms;
    this.cost.record(lines, ms);
    this.unfairReason ??= this.fairness.ran(lines, ms);
  }

  /**
   * Lines that already ran once in this turn (before a stuck line), run again whole in a fresh worker; a line that
   * stalls again is abandoned the same way.
   */
  private async runAll(
    lines: readonly string[],
    contexts: readonly LineContext[],
    source: string | undefined,
    results: GuardedLineResult[],
  ): Promise<void> {
    let offset = 0;
    while (offset < lines.length) {
      const outcome = await this.thread.runOnce<BatchResponse>({
        filter: this.filterId,
        lines: offset === 0 ? lines : lines.slice(offset),
        contexts: offset === 0 ? contexts : contexts.slice(offset),
        ...(source !== undefined ? { source } : {}),
      });
      if (outcome.kind === "done") {
        for (const result of outcome.response.results) results.push(result);
        this.history.remember(lines, contexts, offset, lines.length, source);
        return;
      }
      this.stalledLines++;
      this.unfairReason ??= this.fairness.stalled(Date.now());
      await this.thread.restart();
      const finished = outcome.index;
      if (finished > 0) {
        await this.runAll(
          lines.slice(offset, offset + finished),
          contexts.slice(offset, offset + finished),
          source,
          results,
        );
      }
      results.push({ stalled: true, budgetMs: this.lineBudgetMs, elapsedMs: outcome.elapsedMs, cpuMs: outcome.cpuMs });
      offset += finished + 1;
    }
  }

  /**
   * Moves the filter to the pool's quarantine thread (when there is a pool), reports it, and throttles it from now on:
   * its backlog waits (nothing is dropped, the jail's lag says how far behind it is) and the other jails of its old
   * thread no longer share a worker with it.
   */
  private async isolate(reason: string): Promise<void> {
    // throttled from now on, whether the move works or not
    this.isolation = reason;
    let where = "moved to the quarantine thread and throttled";
    try {
      const target = await this.guard.relocate!();
      const id = await target.thread.host(this.spec, this.options, () =>
        this.thread === target.thread ? this.replayHistory() : Promise.resolve(true),
      );
      const old = this.thread;
      const oldId = this.filterId;
      this.thread = target.thread;
      this.filterId = id;
      await old.forget(oldId);
      await target.moved();
      // the state it had on the old thread, rebuilt in the quarantine worker
      await this.thread.turn(this, () => this.replayHistory());
    } catch (error) {
      where = `throttled (it could not be moved to the quarantine thread: ${(error as Error).message})`;
    }
    this.isolation = `${reason}: ${where}`;
    this.guard.onIsolated?.(this.isolation);
  }

  /**
   * Feeds a fresh worker the recent lines this filter's state needs (none for a one-line filter without sessions; see
   * replay-history), in order and each to its source, dropping the results: what it rebuilds is the multi-line
   * buffers and sessions the lines after an abandoned one are read with. At most REPLAY_BUDGET_MS of lines by the
   * filter's measured cost: slow lines replayed by the thousand would hold every filter of the thread for minutes.
   * Called by the thread's restart; false when a line stalled on the way.
   */
  private async replayHistory(): Promise<boolean> {
    const perLine = this.cost.msPerLine ?? 0;
    const limit = perLine > 0 ? Math.max(1, Math.floor(REPLAY_BUDGET_MS / perLine)) : Number.POSITIVE_INFINITY;
    const history = this.history.lines(limit);
    let at = 0;
    while (at < history.length) {
      const source = history[at]!.source;
      let end = at + 1;
      while (end < history.length && end - at < MAX_TURN_LINES && history[end]!.source === source) end++;
      const run = history.slice(at, end);
      this.replayedLines += run.length;
      const outcome = await this.thread.runOnce<BatchResponse>({
        filter: this.filterId,
        lines: run.map((entry) => entry.line),
        contexts: run.map((entry) => entry.context),
        ...(source !== undefined ? { source } : {}),
      });
      if (outcome.kind === "stalled") return false;
      at = end;
    }
    return true;
  }

  /**
   * Runs the lines of a byte range of a log file (the worker reads them itself) and hands over their output in line
   * order as it comes: the JSON text of reported failures, or line statistics, plus the lines whose host names the
   * caller must resolve (see FileRequest). Blank and comment lines are skipped but counted. A line that runs out of
   * time is abandoned like in processBatch: a fresh worker replays the lines after the last output received,
   * and goes on after the stuck line, which is handed to `stalled` in its place in the order of lines. The thread runs
   * nothing else meanwhile.
   */
  processFile(
    range: { readonly path: string; readonly start: number; readonly end: number; readonly firstLine: number },
    options: Pick<FileRequest, "mode" | "deferHostNames" | "keepAllLines" | "out"> & {
      readonly mode: "failures" | "summary";
    },
    context: LineContext,
    handlers: FileHandlers,
  ): Promise<void> {
    return this.thread.exclusive(() => this.runFile(range, options, context, handlers));
  }

  /** processFile inside the thread's exclusive section. */
  private async runFile(
    range: { readonly path: string; readonly start: number; readonly end: number; readonly firstLine: number },
    options: Pick<FileRequest, "mode" | "deferHostNames" | "keepAllLines" | "out"> & {
      readonly mode: "failures" | "summary";
    },
    context: LineContext,
    handlers: FileHandlers,
  ): Promise<void> {
    let start = range.start;
    let firstLine = range.firstLine;
    // where the last output chunks ended (the oldest about FILE_REPLAY_CHUNKS chunks back): a fresh worker reads the
    // lines from there again, output dropped, to rebuild its multi-line buffers and sessions
    const boundaries = [{ next: range.start, line: range.firstLine }];
    while (start < range.end) {
      // where a fresh worker resumes: just after the output received so far
      let resumeAt = start;
      let resumeLine = firstLine;
      const outcome = await this.thread.runOnce<FileChunk>(
        { filter: this.filterId, file: true, ...options, path: range.path, start, end: range.end, firstLine, context },
        (chunk) => {
          handlers.parts(chunk.parts, chunk.next);
          resumeAt = chunk.next;
          resumeLine = chunk.nextLine;
          boundaries.push({ next: chunk.next, line: chunk.nextLine });
          if (boundaries.length > FILE_REPLAY_CHUNKS + 1) boundaries.shift();
        },
      );
      if (outcome.kind === "done") break;
      this.stalledLines++;
      await this.thread.restart();
      const from = boundaries[0]!;
      if (from.next < resumeAt) {
        const replay = { file: true, mode: "replay", deferHostNames: false, path: range.path, context } as const;
        const rebuilt = await this.thread.runOnce<FileChunk>({
          filter: this.filterId,
          ...replay,
          start: from.next,
          end: resumeAt,
          firstLine: from.line,
        });
        if (rebuilt.kind === "stalled") await this.thread.restart();
      }
      if (outcome.start > resumeAt) {
        await this.runFile(
          { path: range.path, start: resumeAt, end: outcome.start, firstLine: resumeLine },
          options,
          context,
          handlers,
        );
      }
      handlers.stalled({
        stalled: true,
        lineNumber: outcome.lineNumber,
        text: readLineAt(range.path, outcome.start, outcome.next),
        budgetMs: this.lineBudgetMs,
        elapsedMs: outcome.elapsedMs,
        cpuMs: outcome.cpuMs,
      });
      start = outcome.next;
      firstLine = outcome.lineNumber + 1;
    }
  }

  /** Ends the filter: stops its thread if it is its own, else drops the filter from the shared thread. */
  async close(): Promise<void> {
    await this.isolating;
    await (this.ownThread ? this.thread.close() : this.thread.forget(this.filterId));
    await this.guard.onClose?.();
  }
}

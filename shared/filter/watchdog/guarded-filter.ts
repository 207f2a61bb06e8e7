// A filter that cannot be stalled by a pathological line. Attackers write the logs we read, and a backtracking regex
// engine can spend seconds (or years) on one crafted line. The filter therefore runs in a worker thread; the main
// thread watches which line the worker is on, and when one line takes longer than the budget it terminates the worker
// (V8 interrupts a running regex on terminate), reports that line as stalled, and goes on with a fresh worker.
// "Longer than the budget" means both wall time and the worker thread's own CPU time, so that neither a starved
// machine nor other busy threads of the process (the main thread, other jails' workers) get a line abandoned.
// Cost: a batch message per few thousand lines. The fresh worker is fed the last few thousand lines again (results
// dropped: earlier batches, or a file's last output chunks), so that multi-line buffers and sessions survive.
import { closeSync, openSync, readSync } from "node:fs";
import type { FilterSpec, LineContext, LineResult, LogFilterOptions } from "../log-filter.js";
import { FilterSetupError, FilterThread, type GuardOptions } from "./filter-thread.js";
import type { BatchResponse, FileChunk, FilePart, FileRequest } from "./protocol.js";

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

/** Most lines sent to the worker in one batch message. */
const BATCH_LINES = 2048;
/**
 * Lines of batches kept to replay into a fresh worker after an abandoned line (their results dropped), so that the
 * multi-line buffers and sessions they built survive it: a crafted line must not make the filter forget a session
 * that was about to fail. fail2ban keeps at most 100 sessions for 5 minutes; a few thousand lines cover that at the
 * rates where it matters, and replay in a few milliseconds.
 */
const HISTORY_LINES = 4096;

/** What processFile hands its output to. */
export interface FileHandlers {
  /** Output up to (not including) the line at byte `next`. */
  readonly parts: (parts: readonly FilePart[], next: number) => void;
  readonly stalled: (line: StalledLine & { readonly lineNumber: number; readonly text: string }) => void;
}

/** A line of a batch, as the worker saw it. */
interface HistoryLine {
  readonly line: string;
  readonly context: LineContext;
  readonly source: string | undefined;
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

/**
 * Runs a LogFilter in a watched worker thread, its own or one shared with other filters (`guard.thread`, see
 * FilterThreadPool). Create with `GuardedLogFilter.start`, end with `close`.
 */
export class GuardedLogFilter {
  /** Lines abandoned so far. */
  stalledLines = 0;
  /** The last lines of batches the worker finished, oldest first (see HISTORY_LINES). */
  private history: HistoryLine[] = [];

  private constructor(
    private readonly thread: FilterThread,
    private readonly filterId: number,
    /** Whether the thread is this filter's alone (closed with it). */
    private readonly ownThread: boolean,
    private readonly onClose: (() => Promise<void>) | undefined,
  ) {}

  /**
   * Builds the filter in `guard.thread`, or in a thread of its own; rejects with FilterSetupError when the filter is
   * invalid. `guard.onClose` runs after `close` (the pool frees the filter's place).
   */
  static async start(
    spec: FilterSpec,
    options: LogFilterOptions,
    guard: GuardOptions & { readonly thread?: FilterThread; readonly onClose?: () => Promise<void> },
  ): Promise<GuardedLogFilter> {
    const thread = guard.thread ?? (await FilterThread.start(guard));
    let filter: GuardedLogFilter | undefined;
    try {
      const id = await thread.host(spec, options, () => filter?.replayHistory() ?? Promise.resolve(true));
      filter = new GuardedLogFilter(thread, id, guard.thread === undefined, guard.onClose);
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

  private get lineBudgetMs(): number {
    return this.thread.guard.lineBudgetMs;
  }

  /**
   * Processes lines in order; each result is a LineResult, or a StalledLine for a line that ran out of time. Lines of
   * different `source`s (log streams, files) keep separate multi-line buffers and sessions; none is one source.
   * Large batches go to the worker in slices of BATCH_LINES: messages stay small, and after an abandoned line the
   * fresh worker replays at most one slice.
   */
  async processBatch(
    lines: readonly string[],
    contexts: readonly LineContext[],
    source?: string,
  ): Promise<GuardedLineResult[]> {
    const results: GuardedLineResult[] = [];
    for (let offset = 0; offset < lines.length; offset += BATCH_LINES) {
      const end = Math.min(lines.length, offset + BATCH_LINES);
      const sliced = offset > 0 || end < lines.length;
      // one slice at a time on the thread: other filters' requests may run between slices
      await this.thread.exclusive(() =>
        this.processSlice(
          sliced ? lines.slice(offset, end) : lines,
          sliced ? contexts.slice(offset, end) : contexts,
          source,
          results,
        ),
      );
    }
    return results;
  }

  /** processBatch of at most BATCH_LINES lines, appending to `results` (inside the thread's exclusive section). */
  private async processSlice(
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
        this.remember(lines, contexts, offset, source);
        break;
      }
      // the worker is stuck on one line: replace it (every filter on the thread replays its history), process the
      // lines it had finished, skip the stuck one
      this.stalledLines++;
      await this.thread.restart();
      const finished = outcome.index;
      if (finished > 0) {
        await this.processSlice(
          lines.slice(offset, offset + finished),
          contexts.slice(offset, offset + finished),
          source,
          results,
        );
      }
      results.push({
        stalled: true,
        budgetMs: this.lineBudgetMs,
        elapsedMs: outcome.elapsedMs,
        cpuMs: outcome.cpuMs,
      });
      offset += finished + 1;
    }
  }

  /** Keeps lines[from...] of a batch the worker finished in the replay history. */
  private remember(lines: readonly string[], contexts: readonly LineContext[], from: number, source?: string): void {
    for (let i = from; i < lines.length; i++) this.history.push({ line: lines[i]!, context: contexts[i]!, source });
    if (this.history.length > 2 * HISTORY_LINES) this.history.splice(0, this.history.length - HISTORY_LINES);
  }

  /**
   * Feeds a fresh worker the last HISTORY_LINES lines of earlier batches, in order and each to its source, dropping
   * the results: what it rebuilds is the filter state (multi-line buffers, sessions, date templates) that the lines
   * after an abandoned one are read with. Called by the thread's restart; false when a line stalled on the way.
   */
  private async replayHistory(): Promise<boolean> {
    const history = this.history.slice(-HISTORY_LINES);
    let at = 0;
    while (at < history.length) {
      const source = history[at]!.source;
      let end = at + 1;
      while (end < history.length && end - at < BATCH_LINES && history[end]!.source === source) end++;
      const run = history.slice(at, end);
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
    await (this.ownThread ? this.thread.close() : this.thread.forget(this.filterId));
    await this.onClose?.();
  }
}

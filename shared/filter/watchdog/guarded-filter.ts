// A filter that cannot be stalled by a pathological line. Attackers write the logs we read, and a backtracking regex
// engine can spend seconds (or years) on one crafted line. The filter therefore runs in a worker thread; the main
// thread watches which line the worker is on, and when one line takes longer than the budget it terminates the worker
// (V8 interrupts a running regex on terminate), reports that line as stalled, and goes on with a fresh worker.
// "Longer than the budget" means both wall time and CPU time, so that a starved machine does not abandon lines.
// Cost: a batch message per few thousand lines. Known limit: the fresh worker starts with an empty multi-line buffer
// and session cache, as after a restart.
import { Worker } from "node:worker_threads";
import { CloudjailError } from "../../errors.js";
import type { FilterSpec, LineContext, LineResult, LogFilterOptions } from "../log-filter.js";
import {
  type BatchRequest,
  type BatchResponse,
  type JsonBatchRequest,
  type JsonBatchResponse,
  type JsonFileChunk,
  type JsonFileRequest,
  PROGRESS_BYTES,
  type SetupFailure,
  type WorkerSetup,
} from "./protocol.js";

/** A line the filter gave up on: it ran past the time budget. */
export interface StalledLine {
  readonly stalled: true;
  /** The budget the line exceeded, in milliseconds. */
  readonly budgetMs: number;
  /** Wall time the line had run when it was abandoned, in milliseconds. */
  readonly elapsedMs: number;
  /** CPU time the process spent while the line ran, in milliseconds (close to elapsedMs unless starved). */
  readonly cpuMs: number;
}

/** The outcome of one line through the guard. */
export type GuardedLineResult = LineResult | StalledLine;

/** Whether a guarded result is a stalled line. */
export function isStalled(result: GuardedLineResult): result is StalledLine {
  return (result as StalledLine).stalled === true;
}

/** How the guard runs. */
export interface GuardOptions {
  /** The bundled worker script (dist/filter-worker.js). */
  readonly workerPath: string | URL;
  /** Time one line may take before it is abandoned. Default 40 ms. */
  readonly lineBudgetMs?: number;
}

/** The filter's configuration failed inside the worker (same message as the filter would throw). */
export class FilterSetupError extends CloudjailError {
  override name = "FilterSetupError";
}

/**
 * CPU time of the whole process, in milliseconds. A line is abandoned only when it has both taken the budget in wall
 * time and burnt about as much CPU: on a starved machine (CI, a noisy neighbour) a slow line is not a stuck line.
 */
function cpuMilliseconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

type Outcome<R> =
  | { kind: "done"; response: R }
  | {
      kind: "stalled";
      index: number;
      elapsedMs: number;
      cpuMs: number;
      lineNumber: number;
      start: number;
      next: number;
    };

/** Distributes the id over a request type union member. */
type Unnumbered<T> = T extends unknown ? Omit<T, "id"> : never;

/** The output of `processBatchAsJson`. */
export interface JsonBatch {
  /** One JSON object per line of text (see failure-json), each ending with "\n"; stalled lines have none. */
  readonly text: string;
  /** The lines abandoned, by index in the batch. */
  readonly stalled: ReadonlyArray<StalledLine & { readonly index: number }>;
}

/** Runs a LogFilter in a watched worker thread. Create with `GuardedLogFilter.start`, end with `close`. */
export class GuardedLogFilter {
  private worker!: Worker;
  private progress!: Int32Array;
  /** The byte offsets of the line a file request is on, and of the line after it. */
  private position!: Float64Array;
  private nextId = 1;
  /** Lines abandoned so far. */
  stalledLines = 0;

  private constructor(
    private readonly spec: FilterSpec,
    private readonly options: LogFilterOptions,
    private readonly guard: Required<GuardOptions>,
  ) {}

  /** Starts the worker and builds the filter in it; rejects with FilterSetupError when the filter is invalid. */
  static async start(spec: FilterSpec, options: LogFilterOptions, guard: GuardOptions): Promise<GuardedLogFilter> {
    const filter = new GuardedLogFilter(spec, options, { lineBudgetMs: 40, ...guard });
    await filter.spawn();
    return filter;
  }

  private spawn(): Promise<void> {
    const shared = new SharedArrayBuffer(PROGRESS_BYTES);
    this.progress = new Int32Array(shared, 0, 2);
    this.position = new Float64Array(shared, 8, 2);
    const setup: WorkerSetup = {
      kind: "cloudjail-filter-worker",
      spec: this.spec,
      options: this.options,
      progress: shared,
    };
    this.worker = new Worker(this.guard.workerPath, { workerData: setup });
    this.worker.unref();
    return new Promise((resolve, reject) => {
      const onMessage = (message: { ready?: boolean } & Partial<SetupFailure>) => {
        this.worker.off("error", onError);
        if (message.setupError) {
          void this.worker.terminate();
          reject(new FilterSetupError(message.setupError.message));
        } else resolve();
      };
      const onError = (error: Error) => reject(error);
      this.worker.once("message", onMessage);
      this.worker.once("error", onError);
    });
  }

  private runOnce<R extends BatchResponse | JsonBatchResponse>(
    request: Unnumbered<BatchRequest | JsonBatchRequest | JsonFileRequest>,
    onChunk?: (chunk: JsonFileChunk) => void,
  ): Promise<Outcome<R>> {
    const id = this.nextId++;
    Atomics.store(this.progress, 0, 0);
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      let lastSeen = 0;
      let lastChange = performance.now();
      let cpuAtChange = cpuMilliseconds();
      const timer = setInterval(
        () => {
          const seen = Atomics.load(this.progress, 0);
          const now = performance.now();
          if (seen !== lastSeen) {
            lastSeen = seen;
            lastChange = now;
            cpuAtChange = cpuMilliseconds();
          } else if (
            seen > 0 &&
            now - lastChange > this.guard.lineBudgetMs &&
            cpuMilliseconds() - cpuAtChange > this.guard.lineBudgetMs * 0.9
          ) {
            cleanup();
            const cpuMs = cpuMilliseconds() - cpuAtChange;
            resolve({
              kind: "stalled",
              index: seen - 1,
              elapsedMs: now - lastChange,
              cpuMs,
              lineNumber: Atomics.load(this.progress, 1),
              start: this.position[0]!,
              next: this.position[1]!,
            });
          }
        },
        Math.max(1, Math.floor(this.guard.lineBudgetMs / 8)),
      );
      const onMessage = (response: R | JsonFileChunk) => {
        if (response.id !== id) return;
        if ("chunk" in response) {
          onChunk?.(response);
          return;
        }
        cleanup();
        resolve({ kind: "done", response });
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      const cleanup = () => {
        clearInterval(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.postMessage({ ...request, id });
    });
  }

  /** Processes lines in order; each result is a LineResult, or a StalledLine for a line that ran out of time. */
  async processBatch(lines: readonly string[], contexts: readonly LineContext[]): Promise<GuardedLineResult[]> {
    const results: GuardedLineResult[] = [];
    let offset = 0;
    while (offset < lines.length) {
      const outcome = await this.runOnce<BatchResponse>({
        lines: offset === 0 ? lines : lines.slice(offset),
        contexts: offset === 0 ? contexts : contexts.slice(offset),
      });
      if (outcome.kind === "done") {
        results.push(...outcome.response.results);
        break;
      }
      // the worker is stuck on one line: replace it, replay the lines it had finished, skip the stuck one
      await this.worker.terminate();
      await this.spawn();
      this.stalledLines++;
      const finished = outcome.index;
      if (finished > 0) {
        const replay = await this.processBatch(
          lines.slice(offset, offset + finished),
          contexts.slice(offset, offset + finished),
        );
        results.push(...replay);
      }
      results.push({
        stalled: true,
        budgetMs: this.guard.lineBudgetMs,
        elapsedMs: outcome.elapsedMs,
        cpuMs: outcome.cpuMs,
      });
      offset += finished + 1;
    }
    return results;
  }

  /**
   * Processes lines in order like `processBatch`, all with one context, and answers with the JSON text of their
   * reported failures (what `cloudjail regex --out json` prints) instead of result objects: much less to copy
   * between threads. `numbers` are the log line numbers shown in the output.
   */
  async processBatchAsJson(
    lines: readonly string[],
    numbers: readonly number[],
    context: LineContext,
  ): Promise<JsonBatch> {
    let text = "";
    const stalled: Array<StalledLine & { index: number }> = [];
    let offset = 0;
    while (offset < lines.length) {
      const outcome = await this.runOnce<JsonBatchResponse>({
        json: true,
        lines: offset === 0 ? lines : lines.slice(offset),
        numbers: offset === 0 ? numbers : numbers.slice(offset),
        context,
      });
      if (outcome.kind === "done") {
        text += outcome.response.json;
        break;
      }
      // as in processBatch: a fresh worker replays the lines finished before the stuck one, which is skipped
      await this.worker.terminate();
      await this.spawn();
      this.stalledLines++;
      const finished = outcome.index;
      if (finished > 0) {
        const replay = await this.processBatchAsJson(
          lines.slice(offset, offset + finished),
          numbers.slice(offset, offset + finished),
          context,
        );
        text += replay.text;
        for (const line of replay.stalled) stalled.push({ ...line, index: line.index + offset });
      }
      stalled.push({
        stalled: true,
        index: offset + finished,
        budgetMs: this.guard.lineBudgetMs,
        elapsedMs: outcome.elapsedMs,
        cpuMs: outcome.cpuMs,
      });
      offset += finished + 1;
    }
    return { text, stalled };
  }

  /**
   * Runs the lines of a byte range of a log file (the worker reads them itself) and hands over the JSON text of their
   * reported failures, in order, as it comes; blank and comment lines are skipped but counted. A line that runs out
   * of time is abandoned like in processBatchAsJson: a fresh worker replays the lines after the last output it had
   * sent, and goes on after the stuck line. Returns the abandoned lines, by line number.
   */
  async processFileAsJson(
    range: { readonly path: string; readonly start: number; readonly end: number; readonly firstLine: number },
    context: LineContext,
    onText: (text: string) => void,
  ): Promise<Array<StalledLine & { readonly lineNumber: number }>> {
    const stalled: Array<StalledLine & { lineNumber: number }> = [];
    let start = range.start;
    let firstLine = range.firstLine;
    while (start < range.end) {
      // where a fresh worker resumes: just after the output received so far
      let resumeAt = start;
      let resumeLine = firstLine;
      const outcome = await this.runOnce<JsonBatchResponse>(
        { jsonFile: true, path: range.path, start, end: range.end, firstLine, context },
        (chunk) => {
          if (chunk.chunk !== "") onText(chunk.chunk);
          resumeAt = chunk.next;
          resumeLine = chunk.nextLine;
        },
      );
      if (outcome.kind === "done") {
        if (outcome.response.json !== "") onText(outcome.response.json);
        break;
      }
      await this.worker.terminate();
      await this.spawn();
      this.stalledLines++;
      if (outcome.start > resumeAt) {
        const replay = await this.processFileAsJson(
          { path: range.path, start: resumeAt, end: outcome.start, firstLine: resumeLine },
          context,
          onText,
        );
        stalled.push(...replay);
      }
      stalled.push({
        stalled: true,
        lineNumber: outcome.lineNumber,
        budgetMs: this.guard.lineBudgetMs,
        elapsedMs: outcome.elapsedMs,
        cpuMs: outcome.cpuMs,
      });
      start = outcome.next;
      firstLine = outcome.lineNumber + 1;
    }
    return stalled;
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

// The watched worker thread behind guarded filters (see guarded-filter.ts for why there is one). A thread hosts one
// filter or several: a daemon with many jails runs them on a few threads instead of a thread (and a V8 heap of about
// 10 MB) per jail. One request runs at a time per thread, since the shared progress counter names the line in
// progress; when a line runs out of time the worker is replaced, every hosted filter is built again in the fresh one
// and each replays its recent lines, so no filter on the thread loses its multi-line buffers and sessions.
import { Worker } from "node:worker_threads";
import { CloudjailError } from "../../errors.js";
import type { FilterSpec, LogFilterOptions } from "../log-filter.js";
import {
  type BatchRequest,
  type BatchResponse,
  type FileChunk,
  type FileRequest,
  type FilterDefined,
  HEARTBEAT_OFFSET,
  PROGRESS_BYTES,
  type WorkerReady,
  type WorkerSetup,
} from "./protocol.js";
import { type CpuClock, threadCpuClock } from "./thread-cpu-clock.js";

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

/** The result of a request: its response, or the line the worker was stuck on when it was abandoned. */
export type Outcome<R> =
  | { kind: "done"; response: R }
  | {
      kind: "stalled";
      /** Index in the request of the stuck line (lines before it were finished). */
      index: number;
      elapsedMs: number;
      cpuMs: number;
      /** File requests: the stuck line's number, and the byte offsets of it and of the line after it. */
      lineNumber: number;
      start: number;
      next: number;
    };

/** Distributes the id over a request type union member. */
type Unnumbered<T> = T extends unknown ? Omit<T, "id"> : never;

/** A filter the thread hosts, as the thread needs it to rebuild a fresh worker. */
interface Hosted {
  readonly spec: FilterSpec;
  readonly options: LogFilterOptions;
  /** Feeds the filter its recent lines again, results dropped; false when a line stalled on the way. */
  readonly replay: () => Promise<boolean>;
}

/** A worker thread running guarded filters. Create with `FilterThread.start`, end with `close`. */
export class FilterThread {
  private worker!: Worker;
  private progress!: Int32Array;
  /** The byte offsets of the line a file request is on, and of the line after it. */
  private position!: Float64Array;
  /** Regexes the worker has compiled (see compile-heartbeat): a line's clock restarts after each. */
  private heartbeat!: Int32Array;
  /**
   * CPU time of the worker thread. A line is abandoned only when it has both taken the budget in wall time and burnt
   * about as much CPU in its thread: on a starved machine (CI, a noisy neighbour) a slow line is not a stuck line.
   */
  private cpuClock!: CpuClock;
  /** Where cpuClock reads from: "schedstat" or "stat" (the worker thread's), "process" (every thread's). */
  cpuClockSource = "";
  /** The current worker thread's /proc entry, where there is one. */
  workerTask: string | undefined;
  readonly guard: Required<GuardOptions>;
  private nextId = 1;
  private nextFilterId = 1;
  private readonly hosted = new Map<number, Hosted>();
  /** The end of the last exclusive section queued (see exclusive). */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(guard: GuardOptions) {
    this.guard = { lineBudgetMs: 40, ...guard };
  }

  /** Starts a worker thread with no filter yet. */
  static async start(guard: GuardOptions): Promise<FilterThread> {
    const thread = new FilterThread(guard);
    await thread.spawn();
    return thread;
  }

  /** Filters hosted. */
  get size(): number {
    return this.hosted.size;
  }

  private spawn(): Promise<void> {
    const shared = new SharedArrayBuffer(PROGRESS_BYTES);
    this.progress = new Int32Array(shared, 0, 2);
    this.position = new Float64Array(shared, 8, 2);
    this.heartbeat = new Int32Array(shared, HEARTBEAT_OFFSET, 1);
    const setup: WorkerSetup = { kind: "cloudjail-filter-worker", progress: shared };
    this.worker = new Worker(this.guard.workerPath, { workerData: setup });
    this.worker.unref();
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      const onMessage = (message: WorkerReady) => {
        worker.off("error", onError);
        const { clock, source } = threadCpuClock(message.task);
        this.cpuClock = clock;
        this.cpuClockSource = source;
        this.workerTask = message.task;
        resolve();
      };
      const onError = (error: Error) => reject(error);
      worker.once("message", onMessage);
      worker.once("error", onError);
    });
  }

  /**
   * Runs `task` once every task queued before it has ended: requests, restarts and filter changes never interleave.
   * Code inside a task uses the thread directly (runOnce, restart), never exclusive again.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Builds a filter in the worker and hosts it; `replay` rebuilds its state after a restart (see Hosted). Rejects
   * with FilterSetupError when the filter is invalid. Resolves to the filter's id for requests.
   */
  host(spec: FilterSpec, options: LogFilterOptions, replay: () => Promise<boolean>): Promise<number> {
    return this.exclusive(async () => {
      const id = this.nextFilterId++;
      await this.define(id, spec, options);
      this.hosted.set(id, { spec, options, replay });
      return id;
    });
  }

  /** Drops a hosted filter (its state with it). */
  forget(id: number): Promise<void> {
    return this.exclusive(async () => {
      if (this.hosted.delete(id)) this.worker.postMessage({ forget: id });
    });
  }

  private define(id: number, spec: FilterSpec, options: LogFilterOptions): Promise<void> {
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      const onMessage = (message: FilterDefined) => {
        if (message.defined !== id) return;
        cleanup();
        if (message.setupError) reject(new FilterSetupError(message.setupError.message));
        else resolve();
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      const cleanup = () => {
        worker.off("message", onMessage);
        worker.off("error", onError);
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.postMessage({ define: id, spec, options });
    });
  }

  /**
   * Replaces the worker after an abandoned line: a fresh one, every hosted filter built again and fed its recent
   * lines. Lines that ran once do not stall again; if one does, every filter starts over with empty state.
   */
  async restart(): Promise<void> {
    await this.fresh();
    for (const filter of this.hosted.values()) {
      if (!(await filter.replay())) {
        await this.fresh();
        return;
      }
    }
  }

  /** A fresh worker with every hosted filter built, state empty. */
  private async fresh(): Promise<void> {
    await this.worker.terminate();
    await this.spawn();
    for (const [id, filter] of this.hosted) await this.define(id, filter.spec, filter.options);
  }

  /** Sends one request and watches it until its last response, or until a line in it runs out of time. */
  runOnce<R extends BatchResponse | FileChunk>(
    request: Unnumbered<BatchRequest | FileRequest>,
    onChunk?: (chunk: FileChunk) => void,
  ): Promise<Outcome<R>> {
    const id = this.nextId++;
    Atomics.store(this.progress, 0, 0);
    const worker = this.worker;
    const budget = this.guard.lineBudgetMs;
    return new Promise((resolve, reject) => {
      let lastSeen = 0;
      let lastBeat = Atomics.load(this.heartbeat, 0);
      let lastChange = performance.now();
      let cpuAtChange = this.cpuClock();
      const timer = setInterval(
        () => {
          const seen = Atomics.load(this.progress, 0);
          const beat = Atomics.load(this.heartbeat, 0);
          const now = performance.now();
          if (seen !== lastSeen || beat !== lastBeat) {
            lastSeen = seen;
            lastBeat = beat;
            lastChange = now;
            cpuAtChange = this.cpuClock();
          } else if (seen > 0 && now - lastChange > budget && this.cpuClock() - cpuAtChange > budget * 0.9) {
            cleanup();
            resolve({
              kind: "stalled",
              index: seen - 1,
              elapsedMs: now - lastChange,
              cpuMs: this.cpuClock() - cpuAtChange,
              lineNumber: Atomics.load(this.progress, 1),
              start: this.position[0]!,
              next: this.position[1]!,
            });
          }
        },
        Math.max(1, Math.floor(budget / 8)),
      );
      const onMessage = (response: R | FileChunk) => {
        if (response.id !== id) return;
        if ("parts" in response) {
          onChunk?.(response);
          if (!response.done) return;
        }
        cleanup();
        // a file request ends with its last chunk, which is the R of such a request
        resolve({ kind: "done", response: response as R });
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

  /** Stops the worker (after the tasks already queued). */
  close(): Promise<void> {
    return this.exclusive(async () => {
      this.hosted.clear();
      await this.worker.terminate();
    });
  }
}

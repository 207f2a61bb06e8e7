// The watched worker thread behind guarded filters (see guarded-filter.ts for why there is one). A thread hosts one
// filter or several: a daemon with many jails runs them on a few threads instead of a thread (and a V8 heap of about
// 10 MB) per jail. One request runs at a time per thread, since the shared progress counter names the line in
// progress, and the filters take turns round robin (see turn); when a line runs out of time the worker is replaced,
// every hosted filter is built again in the fresh one and each replays the recent lines its state needs (none for a
// one-line filter without sessions), so no filter on the thread loses its multi-line buffers and sessions.
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
  /**
   * Tasks waiting for the thread, by owner (a filter, or a one-off owner per `exclusive` call), owners in the order
   * they are served next: round robin, one task per owner per round (see turn).
   */
  private readonly waiting = new Map<unknown, Array<() => Promise<void>>>();
  private serving = false;
  /** Tasks run so far (the scheduler's clock, for tests and reports). */
  turnsServed = 0;

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
   * Runs `task` alone on the thread: requests, restarts and filter changes never interleave. Code inside a task uses
   * the thread directly (runOnce, restart), never turn or exclusive again.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.turn(Symbol("exclusive"), task);
  }

  /**
   * Runs `task` alone on the thread, in `owner`'s turn. Owners with tasks waiting are served round robin, one task
   * each per round, in the order they first asked: a filter that queues slice after slice (a jail with a backlog of
   * slow lines) gets one slice, then every other waiting owner gets its turn before its next one. An owner that
   * waits for each task before queueing the next is placed behind those already waiting.
   */
  turn<T>(owner: unknown, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = async () => {
        try {
          resolve(await task());
        } catch (error) {
          reject(error);
        }
      };
      const tasks = this.waiting.get(owner);
      if (tasks) tasks.push(run);
      else this.waiting.set(owner, [run]);
      if (!this.serving) void this.serve();
    });
  }

  private async serve(): Promise<void> {
    this.serving = true;
    try {
      for (let next = this.waiting.entries().next(); !next.done; next = this.waiting.entries().next()) {
        const [owner, tasks] = next.value;
        const run = tasks.shift()!;
        // served owners go to the back of the round; one with nothing left leaves it
        this.waiting.delete(owner);
        if (tasks.length > 0) this.waiting.set(owner, tasks);
        this.turnsServed++;
        await run();
      }
    } finally {
      this.serving = false;
    }
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

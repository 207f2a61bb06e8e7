// A few filter threads shared by many filters. A worker thread costs about 10 MB (its own V8 heap and Node
// environment): a daemon running fail2ban's 91 stock jails with a thread each took 1.1 GB. The pool starts threads
// up to a limit, then puts each new filter on the thread hosting the fewest; a thread whose last filter is closed
// stops. Filters on one thread take turns a batch at a time, and an abandoned line restarts its thread with every
// filter's state replayed (see FilterThread).
import { availableParallelism } from "node:os";
import type { FilterSpec, LogFilterOptions } from "../log-filter.js";
import { FilterThread, type GuardOptions } from "./filter-thread.js";
import { GuardedLogFilter } from "./guarded-filter.js";

/** Threads at most by default: the machine's cores, at most 4 (host-mode logs rarely keep more than one busy). */
export function defaultFilterThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

interface PoolThread {
  readonly thread: Promise<FilterThread>;
  /** Filters on the thread, counting those still being built. */
  load: number;
}

/** Guarded filters on at most `maxThreads` shared worker threads. */
export class FilterThreadPool {
  private readonly threads: PoolThread[] = [];

  constructor(
    private readonly guard: GuardOptions,
    readonly maxThreads: number = defaultFilterThreads(),
  ) {
    if (!Number.isInteger(maxThreads) || maxThreads < 1) throw new RangeError(`maxThreads must be >= 1: ${maxThreads}`);
  }

  /** Threads running now. */
  get size(): number {
    return this.threads.length;
  }

  /**
   * Builds a guarded filter on a pool thread; rejects with FilterSetupError when the filter is invalid. Closing the
   * filter frees its place (and stops the thread when it was the last).
   */
  async start(spec: FilterSpec, options: LogFilterOptions): Promise<GuardedLogFilter> {
    const entry = this.pick();
    entry.load++;
    try {
      const thread = await entry.thread;
      return await GuardedLogFilter.start(spec, options, { ...this.guard, thread, onClose: () => this.release(entry) });
    } catch (error) {
      await this.release(entry);
      throw error;
    }
  }

  /** A new thread while under the limit, else the least loaded. */
  private pick(): PoolThread {
    if (this.threads.length < this.maxThreads) {
      const entry: PoolThread = { thread: FilterThread.start(this.guard), load: 0 };
      // a thread that failed to start is not offered again
      entry.thread.catch(() => this.drop(entry));
      this.threads.push(entry);
      return entry;
    }
    let best = this.threads[0]!;
    for (const entry of this.threads) if (entry.load < best.load) best = entry;
    return best;
  }

  private async release(entry: PoolThread): Promise<void> {
    entry.load--;
    if (entry.load > 0) return;
    this.drop(entry);
    const thread = await entry.thread.catch(() => undefined);
    await thread?.close();
  }

  private drop(entry: PoolThread): void {
    const at = this.threads.indexOf(entry);
    if (at >= 0) this.threads.splice(at, 1);
  }

  /** Stops every thread (the filters on them stop working). */
  async close(): Promise<void> {
    const entries = this.threads.splice(0);
    for (const entry of entries) await (await entry.thread.catch(() => undefined))?.close();
  }
}

// A few filter threads shared by many filters. A worker thread costs about 10 MB (its own V8 heap and Node
// environment): a daemon running fail2ban's 91 stock jails with a thread each took 1.1 GB. The pool starts threads
// up to a limit, then puts each new filter on the thread hosting the fewest; a thread whose last filter is closed
// stops. Filters on one thread take turns of about 25 ms of work each, round robin (see FilterThread.turn and
// filter-turns), and an abandoned line restarts its thread with the state of the filters on it replayed. A filter
// that is unfair to the others (lines abandoned again and again, or persistently slow lines) leaves its thread for the
// pool's quarantine thread, one more thread outside the limit, where only such filters run, throttled.
import { availableParallelism } from "node:os";
import type { FilterSpec, LogFilterOptions } from "../log-filter.js";
import { FilterThread, type GuardOptions } from "./filter-thread.js";
import { type FilterEvents, GuardedLogFilter, type Relocation } from "./guarded-filter.js";

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
  /** The thread of isolated filters, started when the first one is isolated, stopped after the last is closed. */
  private quarantine: PoolThread | undefined;

  constructor(
    private readonly guard: GuardOptions,
    readonly maxThreads: number = defaultFilterThreads(),
  ) {
    if (!Number.isInteger(maxThreads) || maxThreads < 1) throw new RangeError(`maxThreads must be >= 1: ${maxThreads}`);
  }

  /** Threads running now, the quarantine thread not counted. */
  get size(): number {
    return this.threads.length;
  }

  /** Filters on the quarantine thread. */
  get quarantined(): number {
    return this.quarantine?.load ?? 0;
  }

  /**
   * Builds a guarded filter on a pool thread; rejects with FilterSetupError when the filter is invalid. Closing the
   * filter frees its place (and stops the thread when it was the last).
   */
  async start(spec: FilterSpec, options: LogFilterOptions, events: FilterEvents = {}): Promise<GuardedLogFilter> {
    const entry = this.pick();
    entry.load++;
    // the place the filter holds: its first thread, then the quarantine thread once isolated
    let place = entry;
    const relocate = async (): Promise<Relocation> => {
      const quarantine = this.quarantineThread();
      quarantine.load++;
      try {
        const thread = await quarantine.thread;
        return {
          thread,
          moved: () => {
            const left = place;
            place = quarantine;
            return this.release(left);
          },
        };
      } catch (error) {
        await this.release(quarantine);
        throw error;
      }
    };
    try {
      const thread = await entry.thread;
      return await GuardedLogFilter.start(spec, options, {
        ...this.guard,
        ...events,
        thread,
        relocate,
        onClose: () => this.release(place),
      });
    } catch (error) {
      await this.release(entry);
      throw error;
    }
  }

  private quarantineThread(): PoolThread {
    if (!this.quarantine) {
      const entry: PoolThread = { thread: FilterThread.start(this.guard), load: 0 };
      entry.thread.catch(() => {
        if (this.quarantine === entry) this.quarantine = undefined;
      });
      this.quarantine = entry;
    }
    return this.quarantine;
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
    if (this.quarantine === entry) this.quarantine = undefined;
    const at = this.threads.indexOf(entry);
    if (at >= 0) this.threads.splice(at, 1);
  }

  /** Stops every thread (the filters on them stop working). */
  async close(): Promise<void> {
    const entries = this.threads.splice(0);
    if (this.quarantine) entries.push(this.quarantine);
    this.quarantine = undefined;
    for (const entry of entries) await (await entry.thread.catch(() => undefined))?.close();
  }
}

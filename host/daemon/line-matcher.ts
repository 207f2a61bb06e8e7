// Runs a jail's filter over batches of lines of its logs, each log with its own multi-line state. Attackers write
// the logs, so in the daemon the filter runs in a watched worker thread (shared/filter/watchdog; the jails share a
// few threads): a line that would keep a regex busy for seconds is abandoned and reported instead of freezing every
// jail. Without a worker script (tests run from sources) the same filter runs in this thread.
import type { FilterDefinition } from "../../shared/config/filter-definition.js";
import { parseHostPosition } from "../../shared/filter/host-placement.js";
import type { FilterSpec, LineContext, LogFilterOptions } from "../../shared/filter/log-filter.js";
import { SourceFilters } from "../../shared/filter/source-filters.js";
import type { FilterThreadPool } from "../../shared/filter/watchdog/filter-thread-pool.js";
import type { FilterEvents, GuardedLineResult } from "../../shared/filter/watchdog/guarded-filter.js";

/** Matches lines in order; lines of different `source`s (log files) keep separate multi-line state. */
export interface LineMatcher {
  match(lines: readonly string[], contexts: readonly LineContext[], source: string): Promise<GuardedLineResult[]>;
  /** Lines to hand over at once so that results come every few hundred ms (slow lines: few); undefined: any. */
  batchLines?(): number;
  close(): Promise<void>;
}

/** The engine's view of a resolved filter.d definition. */
export function filterSpec(definition: FilterDefinition): FilterSpec {
  return {
    failregex: definition.failregex.map((regex) => regex.pattern),
    ignoreregex: definition.ignoreregex.map((regex) => regex.pattern),
    ...(definition.prefregex ? { prefregex: definition.prefregex } : {}),
    ...(definition.datepattern ? { datepattern: definition.datepattern } : {}),
    ...(definition.maxlines ? { maxlines: definition.maxlines } : {}),
    ...(definition.hostposition !== undefined
      ? { hostposition: parseHostPosition(definition.hostposition, { file: definition.file, section: "Definition" }) }
      : {}),
    source: definition.name,
  };
}

/** A matcher in this thread. */
export function inlineMatcher(spec: FilterSpec, options: LogFilterOptions): LineMatcher {
  const filters = new SourceFilters(spec, options);
  return {
    match: async (lines, contexts, source) => {
      const filter = filters.get(source);
      return lines.map((line, index) => filter.processLine(line, contexts[index]!));
    },
    close: async () => {},
  };
}

/** A matcher in one of the pool's watched worker threads (see FilterThreadPool). */
export async function guardedMatcher(
  spec: FilterSpec,
  options: LogFilterOptions,
  pool: FilterThreadPool,
  events: FilterEvents = {},
): Promise<LineMatcher> {
  const guarded = await pool.start(spec, options, events);
  return {
    match: (lines, contexts, source) => guarded.processBatch(lines, contexts, source),
    batchLines: () => guarded.batchLines(),
    close: () => guarded.close(),
  };
}

// Runs a jail's filter over batches of lines of one log. Attackers write the logs, so in the daemon the filter
// runs in a watched worker thread (shared/filter/watchdog): a line that would keep a regex busy for seconds is
// abandoned and reported instead of freezing every jail. Without a worker script (tests run from sources) the same
// filter runs in this thread.
import type { FilterDefinition } from "../../shared/config/filter-definition.js";
import { type FilterSpec, type LineContext, LogFilter, type LogFilterOptions } from "../../shared/filter/log-filter.js";
import { type GuardedLineResult, GuardedLogFilter } from "../../shared/filter/watchdog/guarded-filter.js";

/** Matches lines of one log, in order. */
export interface LineMatcher {
  match(lines: readonly string[], contexts: readonly LineContext[]): Promise<GuardedLineResult[]>;
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
    source: definition.name,
  };
}

/** A matcher in this thread. */
export function inlineMatcher(spec: FilterSpec, options: LogFilterOptions): LineMatcher {
  const filter = new LogFilter(spec, options);
  return {
    match: async (lines, contexts) => lines.map((line, index) => filter.processLine(line, contexts[index]!)),
    close: async () => {},
  };
}

/** A matcher in a watched worker thread running `workerPath` (dist/filter-worker.js). */
export async function guardedMatcher(
  spec: FilterSpec,
  options: LogFilterOptions,
  workerPath: string,
  lineBudgetMs?: number,
): Promise<LineMatcher> {
  const guarded = await GuardedLogFilter.start(spec, options, {
    workerPath,
    ...(lineBudgetMs !== undefined ? { lineBudgetMs } : {}),
  });
  return { match: (lines, contexts) => guarded.processBatch(lines, contexts), close: () => guarded.close() };
}

// One filter's state per log source. A multi-line buffer (maxlines) and the sessions of F-MLFID belong to one log:
// lines of two hosts' logs read by the same jail (two CloudWatch log streams, two files) must not complete each
// other's failures. The regexes are compiled once and shared (see PyRegex's cache); each source keeps only its state.
import { type FilterSpec, LogFilter, type LogFilterOptions } from "./log-filter.js";

/** Sources remembered at most; the one unused the longest is forgotten first (its state restarts empty). */
export const MAX_SOURCES = 256;

/** LogFilters by source name; the unnamed source ("") is the filter given at construction. */
export class SourceFilters {
  private readonly bySource = new Map<string, LogFilter>();

  constructor(
    private readonly spec: FilterSpec,
    private readonly options: LogFilterOptions,
    /** The filter of the unnamed source, already built (and warmed up). */
    readonly main: LogFilter = new LogFilter(spec, options),
  ) {}

  /** The filter of `source`, created on first use. */
  get(source: string | undefined): LogFilter {
    if (source === undefined || source === "") return this.main;
    let filter = this.bySource.get(source);
    if (filter) {
      // most recently used last: the first entry is the one to forget
      this.bySource.delete(source);
    } else {
      if (this.bySource.size >= MAX_SOURCES) this.bySource.delete(this.bySource.keys().next().value as string);
      filter = new LogFilter(this.spec, this.options);
    }
    this.bySource.set(source, filter);
    return filter;
  }

  /** Named sources currently remembered. */
  get size(): number {
    return this.bySource.size;
  }
}

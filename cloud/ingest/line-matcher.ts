// What the ingest pipeline needs of the filter engine: the failures each log event of a batch holds, in one jail's
// filter, and which events the engine had to give up on (a line crafted to make the regex engine backtrack).

/** A failure found in one log event. `time` is the line's own date when it has one, else the event's timestamp. */
export interface EventFailure {
  readonly ip: string;
  /** Failure id when the filter sets one (`<F-ID>`), else the address is the id. */
  readonly fid?: string;
  /** Epoch seconds. */
  readonly time: number;
  /** The matched line(s), for alerts. */
  readonly line: string;
}

/** One log event to match: its text and its CloudWatch timestamp (epoch seconds). */
export interface MatchInput {
  readonly message: string;
  readonly eventTime: number;
}

/** The outcome for one event. */
export interface MatchOutput {
  readonly failures: readonly EventFailure[];
  /** The engine abandoned a line of this event (time budget exceeded). */
  readonly stalled: boolean;
  /** Lines of this event a failregex matched without an address or failure id (nothing could be counted). */
  readonly unidentified?: number;
  /** A match was refused: its client address could not be told from client text (filter `hostposition`). */
  readonly ambiguousHost?: boolean;
}

/** One jail's filter, fed the events of a batch in order. */
export interface LineMatcher {
  /**
   * One output per input event, same order. `source` names the log the events come from (log group and stream):
   * each source keeps its own multi-line buffer and sessions, so that two hosts' lines never make one failure.
   */
  match(events: readonly MatchInput[], source?: string): Promise<MatchOutput[]>;
}

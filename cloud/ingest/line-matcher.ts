// What the ingest pipeline needs of the filter engine: the failures one log event holds, in a jail's filter.

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

/** One jail's filter over the events of one log stream, fed in order. */
export interface LineMatcher {
  /** Failures in `message`; `eventTime` (epoch seconds) stands in for a line without a date; `now` is the clock. */
  failures(message: string, eventTime: number, now: number): EventFailure[];
}

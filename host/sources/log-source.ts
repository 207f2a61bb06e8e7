// The seam between where log lines come from (files, journald) and what consumes them (the jails).

/** One complete log line, as read from a source. */
export interface LogLine {
  /** The line without its trailing newline. */
  readonly text: string;
  /** Where it came from: a file path, or `journal` for journald. */
  readonly source: string;
  /** Epoch seconds when the source knows the time itself (journald); files leave the date to the filter. */
  readonly time?: number;
  /**
   * Identifies this line in its source, so that a line read twice (a restart reading `findtime` back) is counted
   * once: inode, offset and a hash of the text for files, the journal cursor for journald.
   */
  readonly eventId?: string;
}

/** Receives lines, in the order the source read them. */
export type LineHandler = (line: LogLine) => void;

/** A running producer of log lines. `start` begins reading, `stop` releases every file, watcher and child process. */
export interface LogSource {
  readonly description: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

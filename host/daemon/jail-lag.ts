// How far a jail is behind its logs: lines read and waiting for its filter, and what is still unread in its files.
// The tailer reads no faster than the jails handle lines (so that a backlog never sits in memory): under a flood the
// backlog therefore stays in the file, where counting handed-over lines alone never sees it.
import type { FileBacklog } from "../sources/file-tailer.js";

/** A typical log line's length (bytes), for the estimate in lines before any line of a file was read. */
const TYPICAL_LINE_BYTES = 100;

/** A jail's backlog. */
export interface JailLag {
  /** Lines read from the logs and not handled yet. */
  readonly waitingLines: number;
  /** Bytes still unread in its files, and that figure as lines (by the lengths of the lines read so far). */
  readonly unreadBytes: number;
  readonly unreadLines: number;
  /** The files with unread bytes. */
  readonly files: readonly FileBacklog[];
}

/** Puts together the lines waiting and the files' unread bytes. */
export function measureLag(waitingLines: number, files: readonly FileBacklog[]): JailLag {
  let unreadBytes = 0;
  let unreadLines = 0;
  for (const file of files) {
    unreadBytes += file.bytes;
    unreadLines += Math.ceil(file.bytes / (file.averageLineBytes ?? TYPICAL_LINE_BYTES));
  }
  return { waitingLines, unreadBytes, unreadLines, files };
}

/** Whether the jail is behind by `threshold` lines or more, counting the unread bytes as lines. */
export function isBehind(lag: JailLag, threshold: number): boolean {
  return lag.waitingLines + lag.unreadLines >= threshold;
}

/**
 * Whether a jail reported behind has caught up: nothing waiting, and less than a tenth of the threshold unread (a
 * live log always has a few bytes written since the last read; the margin keeps the report from flapping).
 */
export function hasCaughtUp(lag: JailLag, threshold: number): boolean {
  return lag.waitingLines === 0 && lag.unreadLines < threshold / 10;
}

/** What is unread, for a sentence: `2900000 bytes (about 29000 lines) not read yet of /var/log/auth.log`. */
export function describeUnread(lag: JailLag): string {
  const paths = lag.files.map((file) => file.path).join(", ");
  return `${lag.unreadBytes} bytes (about ${lag.unreadLines} lines) not read yet of ${paths}`;
}

/** The sentence of `status` for a jail that is behind. */
export function lagSentence(lag: JailLag): string {
  const unread = lag.unreadBytes > 0 ? `, ${describeUnread(lag)}` : "";
  return `${lag.waitingLines} log lines read and not handled yet${unread} (falling behind)`;
}

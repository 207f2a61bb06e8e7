// How far a jail is behind its logs: lines read and waiting for its filter, and what is still unread in its files.
// The tailer reads no faster than the jails handle lines (so that a backlog never sits in memory): under a flood the
// backlog therefore stays in the file, where counting handed-over lines alone never sees it.
import type { FileBacklog } from "../sources/file-tailer.js";

/** Seconds the journal may be read behind (journalctl's output waiting for the jail) before the jail reports it. */
export const JOURNAL_LAG_WARNING_SECONDS = 60;

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
  /** For a journal jail: seconds its reading is behind while journalctl's output waits for it (0 when it does not). */
  readonly journalSecondsBehind: number;
}

/** Puts together the lines waiting and the files' unread bytes. */
export function measureLag(waitingLines: number, files: readonly FileBacklog[], journalSecondsBehind = 0): JailLag {
  let unreadBytes = 0;
  let unreadLines = 0;
  for (const file of files) {
    unreadBytes += file.bytes;
    unreadLines += Math.ceil(file.bytes / (file.averageLineBytes ?? TYPICAL_LINE_BYTES));
  }
  return { waitingLines, unreadBytes, unreadLines, files, journalSecondsBehind };
}

/** Whether the jail is behind by `threshold` lines or more, counting the unread bytes as lines. */
export function isBehind(lag: JailLag, threshold: number): boolean {
  return lag.waitingLines + lag.unreadLines >= threshold || lag.journalSecondsBehind >= JOURNAL_LAG_WARNING_SECONDS;
}

/**
 * Whether a jail reported behind has caught up: nothing waiting, and less than a tenth of the threshold unread (a
 * live log always has a few bytes written since the last read; the margin keeps the report from flapping).
 */
export function hasCaughtUp(lag: JailLag, threshold: number): boolean {
  return (
    lag.waitingLines === 0 &&
    lag.unreadLines < threshold / 10 &&
    lag.journalSecondsBehind < JOURNAL_LAG_WARNING_SECONDS / 10
  );
}

/**
 * What is not read yet, for a sentence (empty when nothing): `2900000 bytes (about 29000 lines) not read yet of
 * /var/log/auth.log`, or `the journal read 75 s behind (journalctl's output waits for the jail)`.
 */
export function describeUnread(lag: JailLag): string {
  const parts: string[] = [];
  if (lag.unreadBytes > 0) {
    const paths = lag.files.map((file) => file.path).join(", ");
    parts.push(`${lag.unreadBytes} bytes (about ${lag.unreadLines} lines) not read yet of ${paths}`);
  }
  if (lag.journalSecondsBehind >= 1) {
    parts.push(
      `the journal read ${Math.round(lag.journalSecondsBehind)} s behind (journalctl's output waits for the jail)`,
    );
  }
  return parts.join(", ");
}

/** The sentence of `status` for a jail that is behind. */
export function lagSentence(lag: JailLag): string {
  const unread = describeUnread(lag);
  return `${lag.waitingLines} log lines read and not handled yet${unread ? `, ${unread}` : ""} (falling behind)`;
}

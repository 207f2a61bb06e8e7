// The daemon's own log, in fail2ban's line format so that a `recidive` jail (and fail2ban habits such as
// `grep Ban /var/log/fail2ban.log`) work unchanged:
//   2024-05-01 12:00:00,123 cloudjail.actions        [812]: NOTICE  [sshd] Ban 192.0.2.7

import { closeSync, fstatSync, openSync, statSync, writeSync } from "node:fs";
import { SyslogSink } from "./syslog-sink.js";

/** fail2ban's levels, most severe first. */
export const LEVELS = ["CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"] as const;
/** One of {@link LEVELS}. */
export type Level = (typeof LEVELS)[number];

/** Where the log goes: a file path, or fail2ban's STDOUT / STDERR / SYSLOG. */
export type LogTarget = string;

/** Writes daemon log lines at or above a level. */
export interface DaemonLog {
  log(level: Level, logger: string, message: string): void;
  /** The current threshold; `set loglevel` changes it. */
  level: Level;
  /** Flushes and releases the target (for SYSLOG, once the logger processes have sent everything). */
  close(): void | Promise<void>;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** fail2ban's asctime: local time `YYYY-MM-DD HH:MM:SS,mmm`. */
export function formatAsctime(date: Date): string {
  // Under a flood many lines are logged in the same millisecond: their time text is made once.
  const ms = date.getTime();
  if (ms === asctimeOf.ms) return asctimeOf.text;
  const text =
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())},${pad(date.getMilliseconds(), 3)}`;
  asctimeOf.ms = ms;
  asctimeOf.text = text;
  return text;
}
const asctimeOf = { ms: Number.NaN, text: "" };

/** One line as fail2ban formats it: `%(asctime)s %(name)-24s[%(process)d]: %(levelname)-7s %(message)s`. */
export function formatLogLine(date: Date, logger: string, level: Level, message: string, pid = process.pid): string {
  return `${formatAsctime(date)} ${logger.padEnd(24)}[${pid}]: ${level.padEnd(7)} ${message}`;
}

/** Parses a fail2ban `loglevel` (name or Python number); undefined when it is neither. */
export function parseLevel(text: string): Level | undefined {
  const upper = text.trim().toUpperCase();
  if ((LEVELS as readonly string[]).includes(upper)) return upper as Level;
  const numeric: Record<string, Level> = {
    "50": "CRITICAL",
    "40": "ERROR",
    "30": "WARNING",
    "25": "NOTICE",
    "20": "INFO",
    "10": "DEBUG",
  };
  if (upper === "WARN") return "WARNING";
  if (upper.startsWith("HEAVYDEBUG") || upper === "TRACEDEBUG") return "DEBUG";
  return numeric[upper];
}

const SYSLOG_SEVERITY: Record<Level, number> = { CRITICAL: 2, ERROR: 3, WARNING: 4, NOTICE: 5, INFO: 6, DEBUG: 7 };

/**
 * An append-only log file kept open (thousands of ban lines must not mean thousands of open/close), reopened when
 * logrotate renamed or removed it, as Python's WatchedFileHandler does for fail2ban; checked at most once a second.
 */
class LogFile {
  private fd: number | undefined;
  private ino = 0;
  private checkedAt = 0;

  constructor(private readonly path: string) {}

  write(text: string): void {
    const now = Date.now();
    if (this.fd !== undefined && now - this.checkedAt >= 1000) {
      this.checkedAt = now;
      let current: number | undefined;
      try {
        current = statSync(this.path).ino;
      } catch {
        current = undefined;
      }
      if (current !== this.ino) this.close();
    }
    if (this.fd === undefined) {
      this.fd = openSync(this.path, "a", 0o600);
      this.ino = fstatSync(this.fd).ino;
      this.checkedAt = now;
    }
    writeSync(this.fd, text);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Opens the log for `target` (a file is appended to, and reopened on every write so logrotate needs no signal). */
export function openDaemonLog(
  target: LogTarget,
  level: Level,
  options: { readonly now?: () => Date; readonly syslogSocket?: string } = {},
): DaemonLog {
  const now = options.now ?? (() => new Date());
  const upper = target.toUpperCase();
  let write: (line: string, level: Level, logger: string, message: string) => void;
  let close: () => void | Promise<void> = () => {};
  if (upper === "STDOUT") write = (line) => process.stdout.write(`${line}\n`);
  else if (upper === "STDERR") write = (line) => process.stderr.write(`${line}\n`);
  else if (upper === "SYSLOG") {
    const sink = new SyslogSink(options.syslogSocket ?? "auto");
    write = (_line, lineLevel, logger, message) =>
      sink.write(logger, SYSLOG_SEVERITY[lineLevel], `${lineLevel} ${message}`);
    close = () => sink.close();
  } else {
    const file = new LogFile(target);
    let failing: string | undefined;
    write = (line) => {
      try {
        file.write(`${line}\n`);
        if (failing !== undefined) {
          failing = undefined;
          process.stderr.write(`cloudjail: writing to the log file ${target} again\n`);
        }
      } catch (error) {
        // A log that cannot be written must not stop the daemon nor lose the line: it goes to stderr (the journal
        // under systemd), with the reason said once.
        const reason = (error as Error).message;
        if (failing !== reason)
          process.stderr.write(`cloudjail: cannot write the log file ${target} (${reason}); logging to stderr\n`);
        failing = reason;
        process.stderr.write(`${line}\n`);
      }
    };
    close = () => file.close();
  }
  const log: DaemonLog = {
    level,
    log(lineLevel, logger, message) {
      if (LEVELS.indexOf(lineLevel) > LEVELS.indexOf(log.level)) return;
      // Log text may carry attacker bytes: one entry is one line.
      const safe = message.replace(/[\r\n]+/g, " ");
      write(formatLogLine(now(), logger, lineLevel, safe), lineLevel, logger, safe);
    },
    close: () => close(),
  };
  return log;
}

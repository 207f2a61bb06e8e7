// Turns one `journalctl -o json` record into the text a fail2ban filter expects, the way fail2ban's systemd backend
// (1.0.2, formatJournalEntry) does: "HOSTNAME IDENTIFIER[PID]: MESSAGE", a kernel entry with its monotonic time
// after "kernel:", newlines written as "\n" so that one entry stays one line, and the time taken from the journal,
// not from the text.
import type { LogLine } from "./log-source.js";

type JournalValue = string | number[] | null | undefined;

function text(value: JournalValue | JournalValue[], separator = "\n"): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return value;
  // journalctl writes a field that is not valid UTF-8 as an array of bytes, and a repeated field as an array.
  if (value.every((item) => typeof item === "number")) return Buffer.from(value as number[]).toString("utf8");
  return (value as JournalValue[]).map((item) => text(item) ?? "").join(separator);
}

/**
 * The fields journalEntryToLine reads (journalctl adds __CURSOR and the __ timestamps anyway): asking journalctl for
 * these alone (`--output-fields`) halves what it writes and we parse, where journald stores 25 or more per entry.
 */
export const JOURNAL_ENTRY_FIELDS = [
  "MESSAGE",
  "_HOSTNAME",
  "SYSLOG_IDENTIFIER",
  "_COMM",
  "SYSLOG_PID",
  "_PID",
  "_SOURCE_REALTIME_TIMESTAMP",
  "_SOURCE_MONOTONIC_TIMESTAMP",
] as const;

/** journalctl's argument that limits its JSON records to JOURNAL_ENTRY_FIELDS. */
export const JOURNAL_OUTPUT_FIELDS = `--output-fields=${JOURNAL_ENTRY_FIELDS.join(",")}`;

/** The entry's time in microseconds since the epoch (the source's own time when the journal has it). */
function realtimeMicros(entry: Record<string, JournalValue | JournalValue[]>): number {
  return Number(text(entry._SOURCE_REALTIME_TIMESTAMP) ?? text(entry.__REALTIME_TIMESTAMP));
}

/** Converts a parsed journal record to a log line; undefined when it has no message. */
export function journalEntryToLine(entry: Record<string, JournalValue | JournalValue[]>): LogLine | undefined {
  // a repeated MESSAGE field is one message, its parts joined by spaces (as fail2ban joins them)
  const message = text(entry.MESSAGE, " ");
  if (message === undefined) return undefined;
  const parts: string[] = [];
  const host = text(entry._HOSTNAME);
  if (host) parts.push(host);
  const ident = text(entry.SYSLOG_IDENTIFIER) ?? text(entry._COMM);
  if (ident) {
    const pid = text(entry.SYSLOG_PID) ?? text(entry._PID);
    const label = pid ? `${ident}[${pid}]:` : `${ident}:`;
    parts.push(label);
    if (label === "kernel:") {
      const monotonic = Number(text(entry._SOURCE_MONOTONIC_TIMESTAMP) ?? text(entry.__MONOTONIC_TIMESTAMP));
      if (Number.isFinite(monotonic)) parts.push(`[${(monotonic / 1e6).toFixed(6).padStart(12)}]`);
    }
  }
  parts.push(message);
  const micros = realtimeMicros(entry);
  const cursor = text(entry.__CURSOR);
  const line: LogLine = {
    // an attacker's newline inside a message must not start a line of its own for a multi-line filter
    text: parts.join(" ").replaceAll("\n", "\\n"),
    source: "journal",
    ...(cursor ? { eventId: cursor } : {}),
  };
  return Number.isFinite(micros) ? { ...line, time: micros / 1e6 } : line;
}

/**
 * One journalctl match expression for the lines of a `journalmatch` option: each line is an alternative, as
 * fail2ban's systemd backend adds it (a disjunction between lines), so lines are joined with `+`.
 *
 * @example
 * journalMatchExpression(["_SYSTEMD_UNIT=sshd.service", "_COMM=sshd"]) // "_SYSTEMD_UNIT=sshd.service + _COMM=sshd"
 */
export function journalMatchExpression(lines: readonly string[]): string {
  return lines
    .map((line) => line.trim())
    .filter(Boolean)
    .join(" + ");
}

/**
 * Splits a fail2ban `journalmatch` value into journalctl arguments: whitespace separates matches, `+` stays a word
 * of its own (journalctl's OR), double or single quotes keep spaces inside one match.
 */
export function journalMatchArgs(journalmatch: string): string[] {
  const args: string[] = [];
  const word = /(?:"[^"]*"|'[^']*'|[^\s"']+)+/g;
  for (const match of journalmatch.matchAll(word)) args.push(match[0].replace(/"([^"]*)"|'([^']*)'/g, "$1$2"));
  return args;
}

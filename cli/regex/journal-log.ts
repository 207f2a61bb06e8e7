// LOG = `systemd-journal[...]` for `cloudjail regex`: the journal read as fail2ban-regex reads it (its systemd
// backend), through systemd's journalctl started with an argument vector (never a shell string). Entries become
// lines as the daemon's journal source makes them (journalEntryToLine); their time comes from the journal.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { expandGlob, hasGlob } from "../../host/sources/glob.js";
import { JOURNAL_OUTPUT_FIELDS, journalEntryToLine, journalMatchArgs } from "../../host/sources/journal-entry.js";
import type { LogLine } from "../../host/sources/log-source.js";
import { parseOptionSpec } from "../../shared/config/option-spec.js";
import { CloudjailError, ConfigError } from "../../shared/errors.js";
import type { ZoneClock } from "../../shared/filter/date/zone-clock.js";
import { UsageError } from "../usage-error.js";

/** The journal to read: journalctl's arguments that select it (files, folder, namespace, system or user). */
export interface JournalLog {
  readonly kind: "journal";
  readonly selection: readonly string[];
}

const JOURNAL_LOG = /^systemd-journal(?:\[.*\])?$/s;
/** sd_journal_open flags fail2ban's `journalflags` takes, and what journalctl says for them. */
const FLAG_LOCAL_ONLY = 1;
const FLAG_RUNTIME_ONLY = 2;
const FLAG_SYSTEM = 4;
const FLAG_CURRENT_USER = 8;
/** Entries handed to the filter at once; journalctl's output waits in its pipe meanwhile. */
const BATCH = 2048;

/** Thrown when journalctl cannot be run or fails; says why, with journalctl's own message. */
export class JournalReadError extends CloudjailError {
  override name = "JournalReadError";
}

/**
 * Parses LOG when it names the journal: `systemd-journal`, or with fail2ban's backend options
 * `systemd-journal[journalpath=DIR, journalfiles="A B", journalflags=N, namespace=NAME]`; undefined for any other
 * LOG. Throws UsageError for an option it does not know or cannot honour.
 */
export function parseJournalLog(argument: string): JournalLog | undefined {
  if (!JOURNAL_LOG.test(argument)) return undefined;
  let options: Readonly<Record<string, string>>;
  try {
    ({ options } = parseOptionSpec(argument));
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`regex: LOG '${argument}': ${error.message}`);
    throw error;
  }
  const selection: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    switch (key) {
      case "journalpath":
        selection.push(`--directory=${value}`);
        break;
      case "journalfiles":
        for (const file of journalFiles(value)) selection.push(`--file=${file}`);
        break;
      case "namespace":
        selection.push(`--namespace=${value}`);
        break;
      case "journalflags":
        selection.push(...flagArgs(value));
        break;
      default:
        throw new UsageError(
          `regex: LOG systemd-journal: unknown option '${key}' (known: journalpath, journalfiles, journalflags, namespace)`,
        );
    }
  }
  return { kind: "journal", selection };
}

/** fail2ban's `journalfiles`: words separated by spaces or commas, each a path or a glob of existing files. */
function journalFiles(value: string): string[] {
  const files: string[] = [];
  for (const word of value.split(/[\s,]+/).filter(Boolean)) {
    if (!hasGlob(word)) files.push(word);
    else files.push(...expandGlob(word));
  }
  if (files.length === 0) throw new UsageError(`regex: LOG systemd-journal: journalfiles '${value}' names no file`);
  return files;
}

/** journalctl's words for fail2ban's `journalflags` (sd_journal_open flags). */
function flagArgs(value: string): string[] {
  const flags = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  const known = FLAG_LOCAL_ONLY | FLAG_SYSTEM | FLAG_CURRENT_USER;
  if (!Number.isInteger(flags) || (flags & ~known) !== 0) {
    const why = flags & FLAG_RUNTIME_ONLY ? "2 (runtime only) has no journalctl equivalent" : "not a known flag set";
    throw new UsageError(`regex: LOG systemd-journal: journalflags '${value}': ${why} (use 1, 4, 8 or a sum)`);
  }
  // local only (1) is what journalctl reads unless told to merge
  return [...(flags & FLAG_SYSTEM ? ["--system"] : []), ...(flags & FLAG_CURRENT_USER ? ["--user"] : [])];
}

/** journalctl's full argument vector: JSON output of the selected journal, restricted by `journalmatch`. */
export function journalReadArgs(log: JournalLog, journalmatch: string | undefined): string[] {
  return [
    "--output=json",
    JOURNAL_OUTPUT_FIELDS,
    "--no-pager",
    ...log.selection,
    ...(journalmatch ? journalMatchArgs(journalmatch) : []),
  ];
}

/**
 * fail2ban-regex's date text of journal entries (what its line lists show), as python-systemd gives it: the entry's
 * instant at the local zone's offset in force at `now` (python-systemd fixes that offset when it starts), written
 * by Python's isoformat (microseconds only when there are some), then a space. The text names the right instant;
 * the entry's time itself is taken from the journal, not from this text (fail2ban 1.0.2 reads the text back as
 * local time, which puts entries of the other side of a DST change an hour off).
 */
export function journalTimeText(clock: ZoneClock, now: number): (seconds: number) => string {
  const offset = clock.offsetAt(now);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const abs = Math.abs(offset);
  const zone = `${offset < 0 ? "-" : "+"}${pad(Math.floor(abs / 3600))}:${pad(Math.floor(abs / 60) % 60)}${
    abs % 60 ? `:${pad(abs % 60)}` : ""
  }`;
  return (seconds) => {
    const micros = Math.round(seconds * 1e6);
    const whole = Math.floor(micros / 1e6);
    const fraction = micros - whole * 1e6;
    const wall = new Date((whole + offset) * 1000);
    const date = `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
    const time = `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}`;
    return `${date}T${time}${fraction ? `.${pad(fraction, 6)}` : ""}${zone} `;
  };
}

/**
 * Runs journalctl and hands its entries, as log lines, to `onBatch` in order and a batch at a time; journalctl's
 * output waits in its pipe while a batch is being handled. Resolves to what journalctl said on its standard error
 * (a hint that the user sees only their own entries, say); rejects with JournalReadError when journalctl cannot be
 * started, prints something that is not a JSON record, or exits with a failure.
 */
export function readJournal(
  args: readonly string[],
  onBatch: (lines: readonly LogLine[]) => Promise<void>,
  command = "journalctl",
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      child.kill();
      reject(error);
    };
    child.on("error", (error: NodeJS.ErrnoException) =>
      fail(
        new JournalReadError(
          error.code === "ENOENT"
            ? `regex: cannot run ${command}: not found (the journal is read through systemd's journalctl)`
            : `regex: cannot run ${command}: ${error.message}`,
        ),
      ),
    );
    const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
    const lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
    let batch: LogLine[] = [];
    let handled: Promise<void> = Promise.resolve();
    const hand = (full: LogLine[]) => {
      handled = handled.then(() => (failed ? undefined : onBatch(full)));
      handled.catch((error: Error) => fail(error));
    };
    lines.on("line", (raw) => {
      if (failed || raw.trim() === "") return;
      let entry: unknown;
      try {
        entry = JSON.parse(raw);
      } catch {
        fail(new JournalReadError(`regex: ${command} printed a line that is not a JSON record: ${raw.slice(0, 200)}`));
        return;
      }
      if (typeof entry !== "object" || entry === null) return;
      const line = journalEntryToLine(entry as Record<string, never>);
      if (!line) return;
      batch.push(line);
      if (batch.length >= BATCH) {
        hand(batch);
        batch = [];
        lines.pause();
        void handled.then(() => lines.resume());
      }
    });
    lines.on("close", () => {
      if (batch.length > 0) hand(batch);
      void Promise.all([handled, exited]).then(([, code]) => {
        if (failed) return;
        if (code !== 0) {
          fail(new JournalReadError(`regex: ${command} exited with status ${code}: ${stderr.trim() || "no message"}`));
          return;
        }
        resolve(stderr.trim());
      }, fail);
    });
  });
}

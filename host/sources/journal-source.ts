// Reads journald through `journalctl -f -o json`, started with an argument vector (never a shell string), one
// record per line, and restarts it with a growing delay should it exit while the source is running.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { JOURNAL_OUTPUT_FIELDS, journalEntryToLine, journalMatchArgs } from "./journal-entry.js";
import type { LineHandler, LogSource } from "./log-source.js";

/** What a journal source reads. */
export interface JournalSourceOptions {
  /** The jail's `journalmatch`, e.g. `_SYSTEMD_UNIT=sshd.service + _COMM=sshd`. */
  readonly journalmatch: string;
  /** Epoch seconds to read from (findtime back); default: only new entries. */
  readonly since?: number;
  /** The journalctl executable; default `journalctl` from PATH. */
  readonly command?: string;
  /** Extra journalctl arguments, e.g. `--directory DIR` or `--file PATH` for a journal outside the default place. */
  readonly extraArgs?: readonly string[];
  /** Reports a journalctl failure (exit, unreadable output). */
  readonly onError?: (error: Error) => void;
  /**
   * Resolves when the handler can take more lines. Every JOURNAL_BATCH lines the output is paused until it does, so
   * that a backlog (findtime back at start, a flood) waits in journalctl's pipe instead of in memory.
   */
  readonly whenReady?: () => Promise<void>;
}

/** Lines handed over between two waits for `whenReady`. */
const JOURNAL_BATCH = 4096;

/** Builds the journalctl argument vector for a source; exported so that what is run can be checked. */
export function journalctlArgs(options: JournalSourceOptions, since?: number): string[] {
  const args = ["--follow", "--output=json", JOURNAL_OUTPUT_FIELDS, "--no-pager", "--quiet"];
  const from = since ?? options.since;
  if (from !== undefined) args.push(`--since=@${Math.floor(from)}`);
  else args.push("--lines=0");
  args.push(...(options.extraArgs ?? []), ...journalMatchArgs(options.journalmatch));
  return args;
}

/** A journald log source for one `journalmatch`. */
export class JournalSource implements LogSource {
  readonly description: string;
  private child: ChildProcess | undefined;
  private running = false;
  private restartDelayMs = 500;
  private lastTime: number | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private lines: Interface | undefined;
  private sinceReady = 0;
  /** When reading started (epoch seconds): entries older than that are the findtime-back backlog of the start. */
  private startedAt = 0;
  /** journalctl's output is paused until the handler can take more. */
  private waiting = false;

  constructor(
    private readonly options: JournalSourceOptions,
    private readonly handler: LineHandler,
  ) {
    this.description = `journal ${options.journalmatch}`;
  }

  /** Starts journalctl. */
  async start(): Promise<void> {
    this.running = true;
    this.startedAt = Date.now() / 1000;
    this.launch(this.options.since);
  }

  /** Stops journalctl and any pending restart. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  }

  /**
   * How far behind the journal is read, in seconds, while journalctl's output waits for the handler (0 otherwise):
   * `now` minus the time of the last entry handed over, or minus the start for entries older than it (reading
   * findtime back at start is not falling behind). What waits in the pipe cannot be counted; its age can.
   */
  secondsBehind(now: number): number {
    if (!this.waiting) return 0;
    return Math.max(0, now - Math.max(this.lastTime ?? this.startedAt, this.startedAt));
  }

  private launch(since: number | undefined): void {
    const child = spawn(this.options.command ?? "journalctl", journalctlArgs(this.options, since), {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    const lines = createInterface({ input: child.stdout! });
    this.lines = lines;
    lines.on("line", (raw) => this.receive(raw));
    child.on("error", (error) => this.options.onError?.(error));
    child.on("exit", (code, signal) => {
      if (!this.running || this.child !== child) return;
      this.options.onError?.(new Error(`journalctl exited (${code ?? signal}): ${stderr.trim() || "no message"}`));
      this.restartTimer = setTimeout(() => {
        // Resume just after the last entry seen, so nothing is read twice and little is lost.
        if (this.running) this.launch(this.lastTime !== undefined ? this.lastTime + 1e-6 : undefined);
      }, this.restartDelayMs);
      this.restartDelayMs = Math.min(this.restartDelayMs * 2, 30_000);
    });
  }

  private receive(raw: string): void {
    if (raw.trim() === "") return;
    let entry: unknown;
    try {
      entry = JSON.parse(raw);
    } catch (error) {
      this.options.onError?.(
        new Error(`journalctl printed a line that is not JSON: ${raw.slice(0, 200)}`, { cause: error }),
      );
      return;
    }
    if (typeof entry !== "object" || entry === null) return;
    const line = journalEntryToLine(entry as Record<string, never>);
    if (!line) return;
    this.restartDelayMs = 500;
    if (line.time !== undefined) this.lastTime = line.time;
    this.handler(line);
    if (this.options.whenReady && ++this.sinceReady >= JOURNAL_BATCH) {
      this.sinceReady = 0;
      const lines = this.lines;
      lines?.pause();
      this.waiting = true;
      void this.options.whenReady().then(() => {
        this.waiting = false;
        lines?.resume();
      });
    }
  }
}

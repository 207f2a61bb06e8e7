// What a guarded filter keeps of its recent lines so that a fresh worker (after an abandoned line, or a move to
// another thread) can be brought back to the filter's state, and no more. A filter reading one line at a time with
// no sessions has no state a line leaves behind worth rebuilding: it keeps and replays nothing. One with a multi-line
// buffer needs the last `maxlines` lines of each log. Only sessions (`<F-MLFID>`) need a long history: fail2ban keeps
// at most 100 sessions for 5 minutes, and a crafted line must not make the filter forget one about to fail.
import type { FilterSpec, LineContext } from "../log-filter.js";

/** A line of a batch, as the worker saw it. */
export interface HistoryLine {
  readonly line: string;
  readonly context: LineContext;
  readonly source: string | undefined;
}

/** Lines kept for a filter with sessions, all logs together (a few thousand cover 5 minutes at the rates that matter). */
export const SESSION_HISTORY_LINES = 4096;
/** Logs whose multi-line buffers are kept (the worker remembers as many, see source-filters). */
const BUFFER_SOURCES = 256;

/** How much of its past a filter needs to rebuild its state. */
export type ReplayNeed =
  | { readonly kind: "none" }
  | { readonly kind: "buffer"; readonly lines: number }
  | { readonly kind: "sessions"; readonly lines: number };

/** A session id is a `<F-MLFID>` tag, or the named group it stands for. */
const SESSION_GROUP = /<F-MLFID>|\(\?P<mlfid>/i;

/** What `spec` needs replayed after a fresh start: nothing, its buffer's lines, or a session history. */
export function replayNeed(spec: FilterSpec): ReplayNeed {
  const regexes = [spec.prefregex ?? "", ...spec.failregex];
  if (regexes.some((regex) => SESSION_GROUP.test(regex))) return { kind: "sessions", lines: SESSION_HISTORY_LINES };
  const maxlines = Math.max(1, spec.maxlines ?? 1);
  return maxlines > 1 ? { kind: "buffer", lines: maxlines } : { kind: "none" };
}

/** The recent lines of one filter, kept as its ReplayNeed says. */
export class ReplayHistory {
  /** Sessions: every log's lines, in order. */
  private all: HistoryLine[] = [];
  /** Buffers: each log's last lines (the least recently used log first). */
  private readonly bySource = new Map<string | undefined, HistoryLine[]>();

  constructor(readonly need: ReplayNeed) {}

  /** Keeps lines[from, to) of a batch the worker finished. */
  remember(
    lines: readonly string[],
    contexts: readonly LineContext[],
    from: number,
    to: number,
    source: string | undefined,
  ): void {
    const need = this.need;
    if (need.kind === "none" || to <= from) return;
    let kept: HistoryLine[];
    if (need.kind === "sessions") kept = this.all;
    else {
      kept = this.bySource.get(source) ?? [];
      this.bySource.delete(source);
      this.bySource.set(source, kept);
      if (this.bySource.size > BUFFER_SOURCES) this.bySource.delete(this.bySource.keys().next().value);
    }
    for (let i = Math.max(from, to - need.lines); i < to; i++) {
      kept.push({ line: lines[i]!, context: contexts[i]!, source });
    }
    // trimmed in bulk: a splice per line would make a long batch quadratic
    if (kept.length > 2 * need.lines) kept.splice(0, kept.length - need.lines);
  }

  /**
   * The lines to replay, oldest first, at most `limit` of each log's newest (a replay of slow lines must not hold the
   * thread for minutes: the guard caps it by the filter's measured cost).
   */
  lines(limit: number): HistoryLine[] {
    const need = this.need;
    if (need.kind === "none" || limit <= 0) return [];
    const count = Math.min(limit, need.lines);
    if (need.kind === "sessions") return this.all.slice(-count);
    const lines: HistoryLine[] = [];
    for (const kept of this.bySource.values()) lines.push(...kept.slice(-count));
    return lines;
  }

  /** Lines held now (memory is bounded by the need, whatever the number of lines read). */
  get size(): number {
    let size = this.all.length;
    for (const kept of this.bySource.values()) size += kept.length;
    return size;
  }
}

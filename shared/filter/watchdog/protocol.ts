// Messages between the guarded filter (main thread) and its worker. Kept tiny: lines go in, results come out.
import type { OutFormat } from "../failure-out.js";
import type { LineStatsData, LinesToKeep } from "../line-stats.js";
import type { FilterSpec, LineContext, LineResult, LogFilterOptions } from "../log-filter.js";

/** Given to the worker at start: where to publish progress. Filters are defined by messages (DefineFilter). */
export interface WorkerSetup {
  readonly kind: "cloudjail-filter-worker";
  /**
   * PROGRESS_BYTES of shared memory: Int32 [0] = number of lines started in the current request, [1] = line number of
   * the line being processed (file requests); Float64 [1] = its byte offset, [2] = the byte offset of the next line;
   * Int32 [6] = regexes compiled so far (see compile-heartbeat: the line's clock restarts after each).
   */
  readonly progress: SharedArrayBuffer;
}

/** Size of the shared progress memory (see WorkerSetup.progress). */
export const PROGRESS_BYTES = 32;
/** Byte offset of the compile heartbeat in the shared progress memory. */
export const HEARTBEAT_OFFSET = 24;

/**
 * A byte range of a log file for the worker to read itself: no lines cross threads on the way in. Answered with
 * FileChunk messages (every few hundred lines) and a final FileChunk with `done`.
 */
export interface FileRequest {
  readonly id: number;
  /** The hosted filter that reads the lines (see DefineFilter). */
  readonly filter: number;
  readonly file: true;
  /**
   * `failures`: the text of reported failures in the `out` form; `summary`: line statistics (see line-stats);
   * `replay`: the lines only rebuild the filter's state (after an abandoned line), answered by one empty last chunk.
   */
  readonly mode: "failures" | "summary" | "replay";
  /** `failures` mode: how each reported failure is written (see failure-out); default JSON. */
  readonly out?: OutFormat;
  /** Failures naming a host still to resolve are handed over as deferred lines, not settled by the worker. */
  readonly deferHostNames: boolean;
  /** Summary mode: the kinds of lines whose every line the statistics keep (not only the first few). */
  readonly keepAllLines?: LinesToKeep;
  readonly path: string;
  /** Byte offset of the first line, and of the end of the range (a line start or the file's size). */
  readonly start: number;
  readonly end: number;
  /** Line number of the line at `start`. */
  readonly firstLine: number;
  readonly context: LineContext;
}

/** A line the main thread settles itself: its failures name hosts to resolve. */
export interface DeferredLine {
  readonly line: number;
  readonly text: string;
  readonly result: LineResult;
}

/** A piece of a file request's output, in line order. */
export type FilePart =
  | { readonly text: string }
  | { readonly stats: LineStatsData }
  | { readonly deferred: DeferredLine };

/** Output of a file request up to (not including) the line at byte `next`, line number `nextLine`. */
export interface FileChunk {
  readonly id: number;
  readonly parts: readonly FilePart[];
  readonly next: number;
  readonly nextLine: number;
  /** The last message of the request. */
  readonly done?: true;
}

/** A batch of lines to process, in order: answered with one LineResult per line. */
export interface BatchRequest {
  readonly id: number;
  /** The hosted filter that reads the lines (see DefineFilter). */
  readonly filter: number;
  readonly lines: readonly string[];
  readonly contexts: readonly LineContext[];
  /** The log the lines come from: each source keeps its own multi-line buffer and sessions (see source-filters). */
  readonly source?: string;
  /**
   * The thread's turn for this filter, in milliseconds of the worker's clock: once it has run that long the worker
   * answers with the results of the lines finished so far (at least one), and the caller sends the rest in a later
   * turn, after the other filters of the thread had theirs. Absent: every line.
   */
  readonly turnMs?: number;
}

/** The results of a batch, one per line finished: all of them, or a prefix when the turn ran out (see turnMs). */
export interface BatchResponse {
  readonly id: number;
  readonly results: readonly LineResult[];
  /** Milliseconds the worker spent on the lines answered (its own clock: the filter's cost per line). */
  readonly elapsedMs: number;
}

/** The worker started and takes requests. */
export interface WorkerReady {
  readonly ready: true;
  /** The worker thread's /proc entry, from which the guard reads its CPU time (see thread-cpu-clock). */
  readonly task?: string;
}

/** Builds a filter in the worker under an id of the caller's choosing (state empty); answered by FilterDefined. */
export interface DefineFilter {
  readonly define: number;
  readonly spec: FilterSpec;
  readonly options: LogFilterOptions;
}

/** Drops a hosted filter and its state. Not answered. */
export interface ForgetFilter {
  readonly forget: number;
}

/** The filter of a DefineFilter is built, or could not be (bad regex...: the message the filter threw). */
export interface FilterDefined {
  readonly defined: number;
  readonly setupError?: { readonly name: string; readonly message: string };
}

// Messages between the guarded filter (main thread) and its worker. Kept tiny: lines go in, results come out.
import type { FilterSpec, LineContext, LineResult, LogFilterOptions } from "../log-filter.js";

/** Given to the worker at start: what filter to build, and where to publish progress. */
export interface WorkerSetup {
  readonly kind: "cloudjail-filter-worker";
  readonly spec: FilterSpec;
  readonly options: LogFilterOptions;
  /**
   * PROGRESS_BYTES of shared memory: Int32 [0] = number of lines started in the current request, [1] = line number of
   * the line being processed (file requests); Float64 [1] = its byte offset, [2] = the byte offset of the next line.
   */
  readonly progress: SharedArrayBuffer;
}

/** Size of the shared progress memory (see WorkerSetup.progress). */
export const PROGRESS_BYTES = 24;

/**
 * A byte range of a log file for the worker to read itself and answer like a JSON batch: no lines cross threads.
 * Output comes in JsonFileChunk messages (every few thousand lines) and ends with a JsonBatchResponse.
 */
export interface JsonFileRequest {
  readonly id: number;
  readonly jsonFile: true;
  readonly path: string;
  /** Byte offset of the first line, and of the end of the range (a line start or the file's size). */
  readonly start: number;
  readonly end: number;
  /** Line number of the line at `start`. */
  readonly firstLine: number;
  readonly context: LineContext;
}

/** Output of a file request so far, up to (not including) the line at byte `next`, line number `nextLine`. */
export interface JsonFileChunk {
  readonly id: number;
  readonly chunk: string;
  readonly next: number;
  readonly nextLine: number;
}

/** A batch of lines to process, in order: answered with one LineResult per line. */
export interface BatchRequest {
  readonly id: number;
  readonly lines: readonly string[];
  readonly contexts: readonly LineContext[];
}

/** The results of a batch, one per line. */
export interface BatchResponse {
  readonly id: number;
  readonly results: readonly LineResult[];
}

/**
 * A batch of lines sharing one context, answered with the JSON text of its reported failures (see failure-json):
 * what `cloudjail regex --out json` prints, without sending result objects between threads.
 */
export interface JsonBatchRequest {
  readonly id: number;
  readonly json: true;
  readonly lines: readonly string[];
  /** The log line number of each line, for the output. */
  readonly numbers: readonly number[];
  readonly context: LineContext;
}

/** The output of a JSON batch: one JSON object per line of text, each ending with "\n". */
export interface JsonBatchResponse {
  readonly id: number;
  readonly json: string;
}

/** The worker could not build the filter (bad regex...): sent once, then the worker exits. */
export interface SetupFailure {
  readonly setupError: { readonly name: string; readonly message: string };
}

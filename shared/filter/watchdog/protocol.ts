// Messages between the guarded filter (main thread) and its worker. Kept tiny: lines go in, results come out.
import type { FilterSpec, LineContext, LineResult, LogFilterOptions } from "../log-filter.js";

/** Given to the worker at start: what filter to build, and where to publish progress. */
export interface WorkerSetup {
  readonly kind: "cloudjail-filter-worker";
  readonly spec: FilterSpec;
  readonly options: LogFilterOptions;
  /** Int32Array over a SharedArrayBuffer: [0] = number of lines started in the current batch. */
  readonly progress: SharedArrayBuffer;
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

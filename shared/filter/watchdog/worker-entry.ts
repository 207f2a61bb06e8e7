// Worker side of the guarded filters: builds the filters the main thread defines (one or several, by id), then
// processes their requests, publishing before each line how many lines it has started, so the main thread can tell
// which line stalls and stop the worker.
import { parentPort, workerData } from "node:worker_threads";
import { isReportedFailure } from "../failure-json.js";
import { formatFailure, type OutFormat } from "../failure-out.js";
import { LineStats } from "../line-stats.js";
import { LogFilter } from "../log-filter.js";
import { observeRegexCompiles } from "../regex/compile-heartbeat.js";
import { SourceFilters } from "../source-filters.js";
import { fileLines } from "./file-lines.js";
import {
  type BatchRequest,
  type BatchResponse,
  type DefineFilter,
  type FileChunk,
  type FilePart,
  type FileRequest,
  type FilterDefined,
  type ForgetFilter,
  HEARTBEAT_OFFSET,
  PROGRESS_BYTES,
  type WorkerReady,
  type WorkerSetup,
} from "./protocol.js";
import { currentThreadTask } from "./thread-cpu-clock.js";

/**
 * Lines between two output messages of a file request. Small on purpose: output held across a garbage collection of
 * the young generation gets copied and promoted (4,096 lines cost ~10% more than 512 on the 200k-line benchmark), and
 * after an abandoned line only the lines since the last message are replayed.
 */
const FILE_CHUNK_LINES = 512;
const JSON_OUT: OutFormat = { kind: "json" };

/**
 * Runs a file request: reads the range, skips blank and comment lines like `cloudjail regex`, and sends the output
 * in line order, in chunks. Before each line it publishes the line's number and offsets, so that the main thread can
 * resume after the line if it has to abandon it.
 */
function runFile(filter: LogFilter, request: FileRequest, send: (chunk: FileChunk) => void): void {
  const { context, id, mode, deferHostNames } = request;
  const printing = mode === "failures";
  const format = request.out ?? JSON_OUT;
  const replayOnly = mode === "replay";
  const stats = new LineStats(filter.failRegexes.length, filter.ignoreRegexes.length, request.keepAllLines, true);
  let parts: FilePart[] = [];
  let printed = "";
  // the output settled so far goes into the parts, before a deferred line or at the end of a chunk
  const settle = () => {
    if (printing) {
      if (printed !== "") parts.push({ text: printed });
      printed = "";
    } else if (!stats.isEmpty) {
      parts.push({ stats: stats.take() });
    }
  };
  let started = 0;
  let sinceChunk = 0;
  let lineNumber = request.firstLine - 1;
  let next = request.start;
  for (const line of fileLines(request.path, request.start, request.end)) {
    lineNumber++;
    next = line.next;
    const text = line.text;
    if (text === "" || text.charCodeAt(0) === 35 /* # */) continue;
    position[0] = line.start;
    position[1] = line.next;
    Atomics.store(progress, 1, lineNumber);
    Atomics.store(progress, 0, ++started);
    const result = filter.processLine(text, context);
    if (replayOnly) continue;
    const failures = result.failures;
    // host names are resolved, and matches without an address reported, by the main thread, in line order
    if ((deferHostNames && failures.some((failure) => failure.isHostName)) || result.unidentified !== undefined) {
      settle();
      parts.push({ deferred: { line: lineNumber, text, result } });
    } else if (printing) {
      for (let k = 0; k < failures.length; k++) {
        const failure = failures[k]!;
        if (isReportedFailure(failure)) printed += formatFailure(format, lineNumber, failure);
      }
    } else {
      stats.add(text, result, failures);
    }
    if (++sinceChunk >= FILE_CHUNK_LINES) {
      Atomics.store(progress, 0, 0);
      settle();
      send({ id, parts, next, nextLine: lineNumber + 1 });
      parts = [];
      sinceChunk = 0;
    }
  }
  Atomics.store(progress, 0, 0);
  if (replayOnly) {
    send({ id, parts: [], next, nextLine: lineNumber + 1, done: true });
    return;
  }
  if (!printing) stats.setDateOrder(filter.dates.templateHits().map((entry) => entry.template));
  settle();
  send({ id, parts, next, nextLine: lineNumber + 1, done: true });
}

const setup = workerData as WorkerSetup;
const port = parentPort;
const sharedProgress = setup?.progress ?? new SharedArrayBuffer(PROGRESS_BYTES);
const progress = new Int32Array(sharedProgress, 0, 2);
const position = new Float64Array(sharedProgress, 8, 2);
const heartbeat = new Int32Array(sharedProgress, HEARTBEAT_OFFSET, 1);
observeRegexCompiles(() => Atomics.add(heartbeat, 0, 1));
/** Builds a defined filter (warmed up), or reports why it cannot be built. */
function define(filters: Map<number, SourceFilters>, request: DefineFilter): FilterDefined {
  try {
    const filter = new LogFilter(request.spec, request.options);
    filter.warmUp();
    filters.set(request.define, new SourceFilters(request.spec, request.options, filter));
    return { defined: request.define };
  } catch (error) {
    const e = error as Error;
    return { defined: request.define, setupError: { name: e.name, message: e.message } };
  }
}

if (port && setup?.kind === "cloudjail-filter-worker") {
  const filters = new Map<number, SourceFilters>();
  port.on("message", (request: BatchRequest | FileRequest | DefineFilter | ForgetFilter) => {
    if ("define" in request) {
      port.postMessage(define(filters, request));
      return;
    }
    if ("forget" in request) {
      filters.delete(request.forget);
      return;
    }
    const hosted = filters.get(request.filter);
    // the main thread's own mistake: the worker's error event fails the request
    if (!hosted) throw new Error(`no filter ${request.filter} in this worker`);
    if ("file" in request) {
      runFile(hosted.main, request, (chunk) => port.postMessage(chunk));
      return;
    }
    const source = hosted.get(request.source);
    const results = [];
    const started = performance.now();
    const turnEnds = request.turnMs === undefined ? Number.POSITIVE_INFINITY : started + request.turnMs;
    const timed = request.turnMs !== undefined;
    for (let i = 0; i < request.lines.length; i++) {
      Atomics.store(progress, 0, i + 1);
      results.push(source.processLine(request.lines[i]!, request.contexts[i]!));
      // the turn is over: the other filters of this thread go first, the rest of the lines come back later
      if (timed && performance.now() >= turnEnds) break;
    }
    const now = performance.now();
    // no line in progress: copying the results out is not the last line's time
    Atomics.store(progress, 0, 0);
    port.postMessage({ id: request.id, results, elapsedMs: now - started } satisfies BatchResponse);
  });
  const task = currentThreadTask();
  port.postMessage({ ready: true, ...(task !== undefined ? { task } : {}) } satisfies WorkerReady);
}

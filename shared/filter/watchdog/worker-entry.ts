// Worker side of the guarded filter: builds the filter once, then processes batches of lines, publishing before each
// line how many lines it has started, so the main thread can tell which line stalls and stop the worker.
import { parentPort, workerData } from "node:worker_threads";
import { failureJson, isReportedFailure } from "../failure-json.js";
import { LogFilter } from "../log-filter.js";
import { fileLines } from "./file-lines.js";
import {
  type BatchRequest,
  type BatchResponse,
  type JsonBatchRequest,
  type JsonBatchResponse,
  type JsonFileChunk,
  type JsonFileRequest,
  PROGRESS_BYTES,
  type WorkerSetup,
} from "./protocol.js";

/**
 * Lines between two output messages of a file request. Small on purpose: output held across a garbage collection of
 * the young generation gets copied and promoted (4,096 lines cost ~10% more than 512 on the 200k-line benchmark), and
 * after an abandoned line only the lines since the last message are replayed.
 */
const FILE_CHUNK_LINES = 512;

/** Runs a JSON batch: the output text of its reported failures. */
function jsonBatch(filter: LogFilter, request: JsonBatchRequest): string {
  let out = "";
  const { lines, numbers, context } = request;
  for (let i = 0; i < lines.length; i++) {
    Atomics.store(progress, 0, i + 1);
    const failures = filter.processLine(lines[i]!, context).failures;
    for (let k = 0; k < failures.length; k++) {
      const failure = failures[k]!;
      if (isReportedFailure(failure)) out += `${failureJson(numbers[i]!, failure)}\n`;
    }
  }
  return out;
}

/**
 * Runs a file request: reads the range, skips blank and comment lines like `cloudjail regex`, and sends the output
 * in chunks; returns the text after the last chunk. Before each line it publishes the line's number and offsets, so
 * that the main thread can resume after the line if it has to abandon it.
 */
function jsonFile(filter: LogFilter, request: JsonFileRequest, send: (chunk: JsonFileChunk) => void): string {
  let out = "";
  let started = 0;
  let sinceChunk = 0;
  let lineNumber = request.firstLine - 1;
  const { context, id } = request;
  for (const line of fileLines(request.path, request.start, request.end)) {
    lineNumber++;
    const text = line.text;
    if (text === "" || text.charCodeAt(0) === 35 /* # */) continue;
    position[0] = line.start;
    position[1] = line.next;
    Atomics.store(progress, 1, lineNumber);
    Atomics.store(progress, 0, ++started);
    const failures = filter.processLine(text, context).failures;
    for (let k = 0; k < failures.length; k++) {
      const failure = failures[k]!;
      if (isReportedFailure(failure)) out += `${failureJson(lineNumber, failure)}\n`;
    }
    if (++sinceChunk >= FILE_CHUNK_LINES) {
      send({ id, chunk: out, next: line.next, nextLine: lineNumber + 1 });
      out = "";
      sinceChunk = 0;
    }
  }
  return out;
}

const setup = workerData as WorkerSetup;
const port = parentPort;
const sharedProgress = setup?.progress ?? new SharedArrayBuffer(PROGRESS_BYTES);
const progress = new Int32Array(sharedProgress, 0, 2);
const position = new Float64Array(sharedProgress, 8, 2);
if (port && setup?.kind === "cloudjail-filter-worker") {
  let filter: LogFilter | undefined;
  try {
    filter = new LogFilter(setup.spec, setup.options);
    filter.warmUp(Date.now() / 1000);
  } catch (error) {
    const e = error as Error;
    port.postMessage({ setupError: { name: e.name, message: e.message } });
  }
  if (filter) {
    const ready = filter;
    port.on("message", (request: BatchRequest | JsonBatchRequest | JsonFileRequest) => {
      if ("jsonFile" in request) {
        const rest = jsonFile(ready, request, (chunk) => port.postMessage(chunk));
        port.postMessage({ id: request.id, json: rest } satisfies JsonBatchResponse);
        return;
      }
      if ("json" in request) {
        port.postMessage({ id: request.id, json: jsonBatch(ready, request) } satisfies JsonBatchResponse);
        return;
      }
      const results = [];
      for (let i = 0; i < request.lines.length; i++) {
        Atomics.store(progress, 0, i + 1);
        results.push(ready.processLine(request.lines[i]!, request.contexts[i]!));
      }
      port.postMessage({ id: request.id, results } satisfies BatchResponse);
    });
    port.postMessage({ ready: true });
  }
}

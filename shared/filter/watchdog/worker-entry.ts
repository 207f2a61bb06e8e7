// Worker side of the guarded filter: builds the filter once, then processes batches of lines, publishing before each
// line how many lines it has started, so the main thread can tell which line stalls and stop the worker.
import { parentPort, workerData } from "node:worker_threads";
import { failureJson, isReportedFailure } from "../failure-json.js";
import { LogFilter } from "../log-filter.js";
import type { BatchRequest, BatchResponse, JsonBatchRequest, JsonBatchResponse, WorkerSetup } from "./protocol.js";

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

const setup = workerData as WorkerSetup;
const port = parentPort;
const progress = new Int32Array(setup?.progress ?? new SharedArrayBuffer(4));
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
    port.on("message", (request: BatchRequest | JsonBatchRequest) => {
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

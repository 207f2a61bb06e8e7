// Worker side of the guarded filter: builds the filter once, then processes batches of lines, publishing before each
// line how many lines it has started, so the main thread can tell which line stalls and stop the worker.
import { parentPort, workerData } from "node:worker_threads";
import { LogFilter } from "../log-filter.js";
import type { BatchRequest, BatchResponse, WorkerSetup } from "./protocol.js";

const setup = workerData as WorkerSetup;
const port = parentPort;
if (port && setup?.kind === "cloudjail-filter-worker") {
  const progress = new Int32Array(setup.progress);
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
    port.on("message", (request: BatchRequest) => {
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

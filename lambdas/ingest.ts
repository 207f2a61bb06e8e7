// Lambda entry point: CloudWatch Logs subscription deliveries (see cloud/ingest/ingest-delivery.ts).
import { ingestDelivery } from "../cloud/ingest/ingest-delivery.js";
import { guardedLineMatcher } from "../cloud/ingest/log-filter-matcher.js";
import { createContainerRuntime } from "./container-runtime.js";

// filter-worker.mjs is bundled beside this handler by the CDK construct.
const workerPath = new URL("./filter-worker.mjs", import.meta.url);
const runtime = createContainerRuntime((jail) => guardedLineMatcher(jail, workerPath));

/** Runs the jails on one delivery; throws only for store errors, which a retry of the (idempotent) batch can fix. */
export async function handler(event: unknown): Promise<void> {
  const ready = await runtime;
  const metrics = ready.metrics();
  try {
    await ingestDelivery(event, {
      runner: ready.runner,
      store: ready.store,
      routes: ready.routes,
      enforce: ready.enforce,
      announce: ready.announce,
      metrics,
      log: ready.log,
      clock: ready.clock,
    });
  } finally {
    metrics.flush();
  }
}

// Lambda entry point: CloudWatch Logs subscription deliveries (see cloud/ingest/ingest-delivery.ts), and backfill
// requests `{"backfill": {...}}` from `cloudjail cloud backfill` (see cloud/ingest/backfill.ts).
import { type BackfillReport, backfill, parseBackfillRequest } from "../cloud/ingest/backfill.js";
import { type IngestDependencies, ingestDelivery } from "../cloud/ingest/ingest-delivery.js";
import { guardedLineMatcher } from "../cloud/ingest/log-filter-matcher.js";
import type { InvocationContext } from "../cloud/runtime/lambda-log.js";
import { ONE_SDK_ATTEMPT } from "../cloud/targets/retry.js";
import { createContainerRuntime } from "./container-runtime.js";

// filter-worker.mjs is bundled beside this handler by the CDK construct.
const workerPath = new URL("./filter-worker.mjs", import.meta.url);
const runtime = createContainerRuntime((jail) => guardedLineMatcher(jail, workerPath));

/**
 * Runs the jails on one delivery (throws only for store errors, which a retry of the idempotent batch can fix), or
 * a backfill, whose report it returns to the caller.
 */
export async function handler(event: unknown, context?: InvocationContext): Promise<BackfillReport | undefined> {
  const ready = await runtime;
  ready.beginInvocation(context);
  const metrics = ready.metrics();
  const deps: IngestDependencies = {
    runner: ready.runner,
    store: ready.store,
    routes: ready.routes,
    enforce: ready.enforce,
    announce: ready.announce,
    knownBans: ready.knownBans,
    metrics,
    log: ready.log,
    clock: ready.clock,
  };
  try {
    const request = parseBackfillRequest(
      event,
      ready.deployment.jails.map((jail) => jail.name),
    );
    if (!request) {
      await ingestDelivery(event, deps);
      return undefined;
    }
    // only a backfill needs CloudWatch Logs: its client stays out of the delivery path's cold start
    const { CloudWatchLogsClient } = await import("@aws-sdk/client-cloudwatch-logs");
    const { cloudWatchHistory } = await import("../cloud/logs/cloudwatch-history.js");
    const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? "";
    return await backfill(request, deps, cloudWatchHistory(new CloudWatchLogsClient(ONE_SDK_ATTEMPT), functionName));
  } finally {
    metrics.flush();
  }
}

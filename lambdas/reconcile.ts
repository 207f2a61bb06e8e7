// Lambda entry point: the EventBridge schedule, every minute (see cloud/reconcile/reconcile-run.ts). One run at a time
// through a lease in the table (cloud/reconcile/reconcile-lease.ts): the function has no reserved concurrency.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ReconcileLease } from "../cloud/reconcile/reconcile-lease.js";
import { reconcile } from "../cloud/reconcile/reconcile-run.js";
import type { InvocationContext } from "../cloud/runtime/lambda-log.js";
import { readRuntimeSettings } from "../cloud/runtime/runtime-settings.js";
import { createContainerRuntime, noFilter } from "./container-runtime.js";

const runtime = createContainerRuntime(noFilter);
const lease = new ReconcileLease(new DynamoDBClient({}), readRuntimeSettings().tableName);

/** What one invocation did; `skipped` when another run held the lease. */
export interface ReconcileResult {
  readonly unbans: number;
  readonly activeBans: number;
  readonly failures: number;
  readonly skipped?: true;
}

/** Expires due bans and re-syncs every target, unless another run is doing it right now. */
export async function handler(_event?: unknown, context?: InvocationContext): Promise<ReconcileResult> {
  const ready = await runtime;
  ready.beginInvocation(context);
  const now = ready.clock();
  if (!(await lease.acquire(now))) {
    ready.log("info", "another reconcile run holds the lease: this one skips (the other does the same work)");
    return { unbans: 0, activeBans: 0, failures: 0, skipped: true };
  }
  try {
    const report = await reconcile(ready, now);
    return { unbans: report.unbans.length, activeBans: report.activeBans, failures: report.enforcement.failures };
  } finally {
    const problem = await lease.release(ready.clock());
    if (problem) ready.log("warn", problem);
  }
}

// Lambda entry point: the EventBridge schedule, every minute (see cloud/reconcile/reconcile-run.ts).
import { reconcile } from "../cloud/reconcile/reconcile-run.js";
import type { InvocationContext } from "../cloud/runtime/lambda-log.js";
import { createContainerRuntime, noFilter } from "./container-runtime.js";

const runtime = createContainerRuntime(noFilter);

/** Expires due bans and re-syncs every target. */
export async function handler(
  _event?: unknown,
  context?: InvocationContext,
): Promise<{ unbans: number; activeBans: number; failures: number }> {
  const ready = await runtime;
  ready.beginInvocation(context);
  const report = await reconcile(ready);
  return { unbans: report.unbans.length, activeBans: report.activeBans, failures: report.enforcement.failures };
}

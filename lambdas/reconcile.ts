// Lambda entry point: the EventBridge schedule, every minute (see cloud/reconcile/reconcile-run.ts).
import { reconcile } from "../cloud/reconcile/reconcile-run.js";
import { createContainerRuntime, noFilter } from "./container-runtime.js";

const runtime = createContainerRuntime(noFilter);

/** Expires due bans and re-syncs every target. */
export async function handler(): Promise<{ unbans: number; activeBans: number; failures: number }> {
  const report = await reconcile(await runtime);
  return { unbans: report.unbans.length, activeBans: report.activeBans, failures: report.enforcement.failures };
}

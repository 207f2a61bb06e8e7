// The runtime of this Lambda container: settings from the environment, jails from the bundle, clients at module
// scope. Built once per container, on the first import, and shared by every invocation the container serves.
import type { DeployedJail } from "../cloud/deployment/deployment-config.js";
import type { LineMatcher } from "../cloud/ingest/line-matcher.js";
import { type CloudRuntime, createCloudRuntime } from "../cloud/runtime/cloud-runtime.js";
import { readRuntimeSettings } from "../cloud/runtime/runtime-settings.js";
import { createAwsClients } from "./aws-clients.js";
import { readDeploymentFile } from "./deployment-file.js";

/** For the functions that never run a filter (reconcile, admin): keeps the engine out of their bundles. */
export function noFilter(jail: DeployedJail): LineMatcher {
  return {
    match: async () => {
      throw new Error(`this function does not run filters (jail ${jail.name})`);
    },
  };
}

/** Builds the container's runtime (a promise: ignoreip host names are resolved once at cold start). */
export async function createContainerRuntime(
  matcherFactory: (jail: DeployedJail) => LineMatcher,
): Promise<CloudRuntime> {
  const settings = readRuntimeSettings();
  return createCloudRuntime(readDeploymentFile(), settings, await createAwsClients(settings), { matcherFactory });
}

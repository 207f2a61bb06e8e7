// Reads the jails baked into the bundle: `deployment.json` is copied beside the handler by the CDK construct at
// bundling time (CLOUDJAIL_DEPLOYMENT_FILE overrides the path, for local runs).
import { readFileSync } from "node:fs";
import { checkDeploymentConfig, type DeploymentConfig } from "../cloud/deployment/deployment-config.js";

/** The deployment JSON of this bundle, checked. Throws at cold start when it is missing or malformed. */
export function readDeploymentFile(env: NodeJS.ProcessEnv = process.env): DeploymentConfig {
  const path = env.CLOUDJAIL_DEPLOYMENT_FILE ?? new URL("./deployment.json", import.meta.url);
  return checkDeploymentConfig(JSON.parse(readFileSync(path, "utf8")));
}

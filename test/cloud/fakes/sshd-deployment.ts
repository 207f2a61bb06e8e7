// The deployment most cloud tests run: the example stack's sshd jail (bundled filter) on one log group, with the
// filter worker bundled as the ingest function ships it.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleFilterWorker } from "../../../cdk/lambda-bundling.js";
import { loadCloudJails } from "../../../cloud/deployment/cloud-jail-file.js";
import type { DeployedJail, DeploymentConfig } from "../../../cloud/deployment/deployment-config.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** The sshd jail of cdk/example/jail.local reading `logGroup`, with `overrides`; and the bundled filter worker. */
export async function sshdDeployment(
  logGroup: string,
  overrides: Partial<DeployedJail> = {},
): Promise<{ deployment: DeploymentConfig; workerPath: string }> {
  const workerPath = join(mkdtempSync(join(tmpdir(), "cloudjail-worker-")), "filter-worker.mjs");
  await bundleFilterWorker(root, workerPath);
  const base = loadCloudJails({
    jailFile: join(root, "cdk", "example", "jail.local"),
    filterConfigDir: join(root, "config"),
  });
  const sshd = base.jails.find((jail) => jail.name === "sshd")!;
  const jail: DeployedJail = { ...sshd, logGroups: [logGroup], logTimeZone: "UTC", ...overrides };
  return { deployment: { version: 1, jails: [jail] }, workerPath };
}

// The filter worker bundled as the product ships it (see cdk/lambda-bundling), for tests of the guard around it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleFilterWorker } from "../../cdk/lambda-bundling.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Bundles the worker into a fresh temporary folder; `remove` deletes the folder. */
export async function bundledFilterWorker(): Promise<{ readonly workerPath: string; readonly remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "cloudjail-worker-"));
  const workerPath = join(dir, "filter-worker.mjs");
  await bundleFilterWorker(root, workerPath);
  return { workerPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

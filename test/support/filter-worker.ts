// The filter worker bundled as the product ships it (see cdk/lambda-bundling), for tests of the guard around it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { bundleFilterWorker } from "../../cdk/lambda-bundling.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Bundles the worker into a fresh temporary folder; `remove` deletes the folder. */
export async function bundledFilterWorker(): Promise<{ readonly workerPath: string; readonly remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "cloudjail-worker-"));
  const workerPath = join(dir, "filter-worker.mjs");
  await bundleFilterWorker(root, workerPath);
  return { workerPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** For a test file: bundles the worker before its tests and removes it after; `path` is valid inside the tests. */
export function useBundledFilterWorker(): { readonly path: string } {
  let bundled: { readonly workerPath: string; readonly remove: () => void } | undefined;
  beforeAll(async () => {
    bundled = await bundledFilterWorker();
  }, 120_000);
  afterAll(() => bundled?.remove());
  return {
    get path(): string {
      if (!bundled) throw new Error("the filter worker is bundled in beforeAll: read its path inside a test");
      return bundled.workerPath;
    },
  };
}

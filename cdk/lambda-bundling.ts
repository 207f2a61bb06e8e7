// How the functions are bundled, in one place: the construct hands these settings to NodejsFunction (local esbuild),
// and `bundleLambdasLocally` builds the very same artifacts without CDK for the end-to-end test and the benchmark.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import type { DeploymentConfig } from "../cloud/deployment/deployment-config.js";

/** esbuild target of the bundles (the runtime is Node.js 24; node22 syntax keeps the output conservative). */
export const LAMBDA_TARGET = "node22";
/**
 * Never loaded by the functions (the SQLite store is host mode's). The AWS SDK is bundled, not taken from the
 * runtime: tree-shaken and minified it imports several times faster (the EC2 client alone takes over a second to load
 * from node_modules), and the functions run the SDK version they were tested with.
 */
export const LAMBDA_EXTERNALS = ["better-sqlite3"];
/** ESM bundles still meet CommonJS dependencies that call require(). */
export const LAMBDA_BANNER =
  "import { createRequire as __cjRequire } from 'node:module'; const require = __cjRequire(import.meta.url);";
/** The three functions: entry file (under lambdas/) and whether the filter worker goes beside the handler. */
export const LAMBDA_ENTRIES = {
  ingest: { entry: "ingest.ts", filterWorker: true },
  reconcile: { entry: "reconcile.ts", filterWorker: false },
  admin: { entry: "admin.ts", filterWorker: false },
} as const;
/** The worker script of the ReDoS guard, relative to the project root. */
export const FILTER_WORKER_ENTRY = join("shared", "filter", "watchdog", "worker-entry.ts");

/** A locally built function: its folder (index.mjs, deployment.json, filter-worker.mjs) and sizes in bytes. */
export interface LocalBundle {
  readonly dir: string;
  readonly handlerBytes: number;
  readonly workerBytes: number;
}

/**
 * Bundles the three functions into `outDir/<name>/` as NodejsFunction would (minified ESM, same externals, banner,
 * deployment.json and filter worker, AWS SDK bundled), for tests and benchmarks that run the real artifacts. With
 * `externalAwsSdk` the SDK is left to node_modules, so that a test's fakes installed on the SDK client classes are the
 * ones the functions use. `outDir` must lie inside
 * the project (for example under node_modules/.cache) so that modules resolve from node_modules.
 */
export async function bundleLambdasLocally(
  root: string,
  outDir: string,
  deployment: DeploymentConfig,
  options: { readonly externalAwsSdk?: boolean } = {},
): Promise<Record<keyof typeof LAMBDA_ENTRIES, LocalBundle>> {
  const bundles = {} as Record<keyof typeof LAMBDA_ENTRIES, LocalBundle>;
  for (const [name, { entry, filterWorker }] of Object.entries(LAMBDA_ENTRIES)) {
    const dir = join(outDir, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "deployment.json"), JSON.stringify(deployment));
    const common = {
      bundle: true,
      platform: "node" as const,
      format: "esm" as const,
      target: LAMBDA_TARGET,
      minify: true,
      logLevel: "warning" as const,
      metafile: true,
    };
    const handler = await build({
      ...common,
      entryPoints: [join(root, "lambdas", entry)],
      outfile: join(dir, "index.mjs"),
      external: options.externalAwsSdk ? [...LAMBDA_EXTERNALS, "@aws-sdk/*"] : LAMBDA_EXTERNALS,
      mainFields: ["module", "main"],
      banner: { js: LAMBDA_BANNER },
    });
    const worker = filterWorker
      ? await build({
          ...common,
          entryPoints: [join(root, FILTER_WORKER_ENTRY)],
          outfile: join(dir, "filter-worker.mjs"),
        })
      : undefined;
    const size = (result: typeof handler | undefined) =>
      Object.values(result?.metafile?.outputs ?? {}).reduce((sum, output) => sum + output.bytes, 0);
    bundles[name as keyof typeof LAMBDA_ENTRIES] = { dir, handlerBytes: size(handler), workerBytes: size(worker) };
  }
  return bundles;
}

/** Bundles the filter worker alone (what the ingest function runs its filters in) to `outfile`. */
export async function bundleFilterWorker(root: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [join(root, FILTER_WORKER_ENTRY)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: LAMBDA_TARGET,
    logLevel: "warning",
  });
}

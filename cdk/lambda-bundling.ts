// How the functions are bundled, in one place: the construct hands these settings to NodejsFunction (local esbuild),
// and `bundleLambdasLocally` builds the very same artifacts without CDK for the end-to-end test and the benchmark.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { type BuildOptions, build, type Metafile } from "esbuild";
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

/** Where the split-off parts of a handler go, beside its index.mjs. */
export const LAMBDA_CHUNK_NAMES = "chunks/[name]-[hash]";

/**
 * esbuild settings of a function's handler: `outdir/index.mjs` plus `outdir/chunks/`. Code splitting is what makes the
 * cold start short: whatever the handler loads with `import()` (the EC2, SNS, WAF and CloudWatch Logs clients, the
 * SDK's credential providers other than the environment's) becomes a chunk that is read and compiled only when first
 * called. Compiling the one-file bundle (1.8 MB, two thirds of it the EC2 client's schema) was most of the import time.
 */
export function handlerBuildOptions(entry: string, outdir: string, external: readonly string[] = LAMBDA_EXTERNALS) {
  return {
    entryPoints: [entry],
    outdir,
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: LAMBDA_TARGET,
    minify: true,
    mainFields: ["module", "main"],
    external: [...external],
    banner: { js: LAMBDA_BANNER },
    entryNames: "index",
    chunkNames: LAMBDA_CHUNK_NAMES,
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  } satisfies BuildOptions;
}

/** Quotes one word for bash (the shell CDK runs bundling commands in). */
function shellWord(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * The same build as {@link handlerBuildOptions}, as an esbuild command line for CDK's bundling hooks. NodejsFunction
 * can only write one file (`--outfile`), which code splitting cannot use: the construct runs this command after
 * NodejsFunction's own build, over the same folder, so that index.mjs is the split handler.
 */
export function handlerBuildCommand(esbuildBin: string, entry: string, outdir: string): string {
  const o = handlerBuildOptions(entry, outdir);
  const args = [
    ...o.entryPoints,
    "--bundle",
    "--splitting",
    `--platform=${o.platform}`,
    `--format=${o.format}`,
    `--target=${o.target}`,
    "--minify",
    `--main-fields=${o.mainFields.join(",")}`,
    ...o.external.map((name) => `--external:${name}`),
    `--banner:js=${o.banner.js}`,
    `--outdir=${o.outdir}`,
    `--entry-names=${o.entryNames}`,
    `--chunk-names=${o.chunkNames}`,
    "--out-extension:.js=.mjs",
    `--log-level=${o.logLevel}`,
  ];
  return [esbuildBin, ...args].map(shellWord).join(" ");
}

/**
 * A locally built function: its folder (index.mjs, chunks/, deployment.json, filter-worker.mjs) and sizes in bytes:
 * `handlerBytes` all of the handler's files, `startBytes` those loaded when the handler is imported (index.mjs and
 * the chunks it imports statically), `workerBytes` the filter worker.
 */
export interface LocalBundle {
  readonly dir: string;
  readonly handlerBytes: number;
  readonly startBytes: number;
  readonly workerBytes: number;
}

/**
 * Bundles the three functions into `outDir/<name>/` as the CDK construct does (split minified ESM, same externals,
 * banner, deployment.json and filter worker, AWS SDK bundled), for tests and benchmarks that run the real artifacts.
 * With `externalAwsSdk` the SDK is left to node_modules, so that a test's fakes installed on the SDK client classes
 * are the ones the functions use. `outDir` must lie inside the project (for example under node_modules/.cache) so
 * that modules resolve from node_modules.
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
    const external = options.externalAwsSdk ? [...LAMBDA_EXTERNALS, "@aws-sdk/*"] : LAMBDA_EXTERNALS;
    const handler = await build({
      ...handlerBuildOptions(join(root, "lambdas", entry), dir, external),
      metafile: true,
    });
    const worker = filterWorker
      ? await build({
          bundle: true,
          platform: "node",
          format: "esm",
          target: LAMBDA_TARGET,
          minify: true,
          logLevel: "warning",
          metafile: true,
          entryPoints: [join(root, FILTER_WORKER_ENTRY)],
          outfile: join(dir, "filter-worker.mjs"),
        })
      : undefined;
    const outputs = handler.metafile.outputs;
    const size = (result: { readonly metafile?: Metafile } | undefined) =>
      Object.values(result?.metafile?.outputs ?? {}).reduce((sum, output) => sum + output.bytes, 0);
    bundles[name as keyof typeof LAMBDA_ENTRIES] = {
      dir,
      handlerBytes: size(handler),
      startBytes: staticClosureBytes(outputs, relative(process.cwd(), join(dir, "index.mjs"))),
      workerBytes: size(worker),
    };
  }
  return bundles;
}

/** Bytes of `entry` and of every output it imports statically, directly or not (what importing it reads). */
function staticClosureBytes(outputs: Metafile["outputs"], entry: string): number {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path) || !outputs[path]) return;
    seen.add(path);
    for (const imported of outputs[path].imports) if (imported.kind === "import-statement") visit(imported.path);
  };
  visit(entry);
  if (seen.size === 0) throw new Error(`esbuild's metafile has no output ${entry}`);
  return [...seen].reduce((sum, path) => sum + (outputs[path]?.bytes ?? 0), 0);
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

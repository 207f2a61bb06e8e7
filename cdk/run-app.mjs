// The command cdk.json runs: bundles cdk/app.ts with the local esbuild (Node 20 runs no TypeScript by itself) into
// node_modules/.cache/cloudjail/, then runs it. Offline, no Docker, no TypeScript loader.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outdir = join(root, "node_modules", ".cache", "cloudjail");
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, "cdk-app.mjs");
await build({
  entryPoints: [join(root, "cdk", "app.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "inline",
  logLevel: "warning",
});
await import(pathToFileURL(outfile).href);

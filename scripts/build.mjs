// Bundles the `cloudjail` command into dist/ so that it starts fast, with no TypeScript loader at run time.
// Native and AWS modules stay external: they are installed dependencies, loaded only by the commands that need them.
// Code splitting keeps each sub-command's code in its own chunk; chunks of earlier builds are removed afterwards
// (not before, so that a command running meanwhile never finds dist/ empty).
import { readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";

const result = await build({
  entryPoints: { cli: "cli/main.ts", "filter-worker": "shared/filter/watchdog/worker-entry.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  packages: "external",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  metafile: true,
  logLevel: "warning",
});

const outputs = new Set(Object.keys(result.metafile.outputs).map((path) => relative("dist", path)));
for (const dir of ["dist", join("dist", "chunks")]) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = relative("dist", join(dir, entry.name));
    if (entry.isFile() && !outputs.has(path)) rmSync(join(dir, entry.name));
  }
}

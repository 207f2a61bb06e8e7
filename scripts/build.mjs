// Bundles the `cloudjail` command into dist/cli.js so that it starts fast, with no TypeScript loader at run time.
// Native and AWS modules stay external: they are installed dependencies, loaded only by the commands that need them.

import { rmSync } from "node:fs";
import { build } from "esbuild";

rmSync("dist", { recursive: true, force: true });
await build({
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
  logLevel: "warning",
});

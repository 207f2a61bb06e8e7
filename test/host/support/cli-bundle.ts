// Builds the `cloudjail` command from the current sources for end-to-end tests, into node_modules/.cache so that
// its packages resolve, without touching dist/.
import { join } from "node:path";
import { build } from "esbuild";
import { repoRoot } from "./repo-root.js";

/** Bundles cli/main.ts (and the filter worker beside it) and returns the path of the entry script to run with node. */
export async function buildCli(): Promise<string> {
  const root = repoRoot();
  const outdir = join(root, "node_modules", ".cache", `cloudjail-e2e-${process.pid}`);
  await build({
    entryPoints: {
      cli: join(root, "cli", "main.ts"),
      "filter-worker": join(root, "shared", "filter", "watchdog", "worker-entry.ts"),
    },
    outdir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    splitting: true,
    logLevel: "warning",
  });
  return join(outdir, "cli.js");
}

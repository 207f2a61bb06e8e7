// `npm run bench`: builds the command and the benchmark script, then runs every benchmark.
import { spawnSync } from "node:child_process";
import { build } from "esbuild";

spawnSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
await build({
  entryPoints: ["bench/main.ts"],
  outfile: ".bench/bench.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});
const result = spawnSync(process.execPath, [".bench/bench.mjs", ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(result.status ?? 1);

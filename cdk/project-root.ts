// Where the cloudjail sources are, so that the functions can be bundled whether this code runs from the sources
// (tests) or from the esbuild bundle cdk.json runs (cdk.out/...).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder holding cloudjail's package.json, found by walking up from `start` (default: this module). */
export function cloudjailProjectRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "cloudjail") return dir;
    if (dirname(dir) === dir) throw new Error(`cloudjail's package.json not found above ${start}`);
  }
}

// The repository root, found from this file or (when bundled into .bench/) from the working directory.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

function isRoot(dir: string): boolean {
  const manifest = join(dir, "package.json");
  return existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "cloudjail";
}

/** The folder holding cloudjail's package.json. */
export function repoRoot(): string {
  for (const start of [import.meta.dirname, process.cwd()]) {
    let dir = start;
    for (;;) {
      if (isRoot(dir)) return dir;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error("cannot find the cloudjail repository root from here or the working directory");
}

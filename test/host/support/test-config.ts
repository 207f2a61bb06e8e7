// A configuration tree for a daemon test: the bundled filter.d/ and action.d/ with a jail.conf and fail2ban.conf
// written by the test, in a fresh temporary folder.
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./repo-root.js";

/** The repository's bundled config/ folder. */
export const bundledConfig = join(repoRoot(), "config");

/**
 * Creates the tree and returns its folder; `files` maps a relative path to its text (e.g. `jail.conf`). With `base`,
 * that whole tree (fail2ban's own /etc/fail2ban, say) is copied instead of the bundled filters and actions.
 */
export function makeConfigDir(files: Readonly<Record<string, string>>, base?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "cloudjail-config-"));
  if (base) {
    cpSync(base, dir, { recursive: true });
  } else {
    cpSync(join(bundledConfig, "filter.d"), join(dir, "filter.d"), { recursive: true });
    cpSync(join(bundledConfig, "action.d"), join(dir, "action.d"), { recursive: true });
  }
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

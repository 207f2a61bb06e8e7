// Which configuration tree `server` and `client` read when no --config is given: the installed one in
// /etc/cloudjail when it exists (where the service install puts it), else the bundled config/ (every jail off).
import { existsSync } from "node:fs";
import { resolve } from "node:path";

/** Where the service install puts the configuration. */
export const SYSTEM_CONFIG_DIR = "/etc/cloudjail";

/** A chosen configuration tree and the reason, to be said to the user. */
export interface ConfigTree {
  readonly dir: string;
  readonly source: "option" | "system" | "bundled";
}

/**
 * Picks the tree: `--config DIR` when given, else `systemDir` when it exists, else the bundled tree.
 * `systemDir` is a parameter so that tests need not touch /etc.
 */
export function chooseConfigTree(given: string | undefined, bundledDir: string, systemDir = SYSTEM_CONFIG_DIR) {
  if (given !== undefined) return { dir: resolve(given), source: "option" } satisfies ConfigTree;
  if (existsSync(systemDir)) return { dir: systemDir, source: "system" } satisfies ConfigTree;
  return { dir: bundledDir, source: "bundled" } satisfies ConfigTree;
}

/** One line saying which tree is read and why. */
export function describeConfigTree(tree: ConfigTree): string {
  switch (tree.source) {
    case "option":
      return `configuration: ${tree.dir} (--config)`;
    case "system":
      return `configuration: ${tree.dir} (the installed tree; --config DIR reads another)`;
    case "bundled":
      return `configuration: ${tree.dir} (the bundled examples, every jail disabled: ${SYSTEM_CONFIG_DIR} does not exist; give --config DIR)`;
  }
}

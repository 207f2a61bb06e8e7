// Builds the daemon's jails one by one, so that one broken jail (a filter that does not exist or does not compile,
// an unknown action, a bad option) is reported with its file, line and reason while the other jails run. Only a
// tree that cannot be read at all (no jail.conf, a syntax error in it) fails as a whole.
import { loadConfig } from "../../shared/config/config-loader.js";
import { CloudjailError } from "../../shared/errors.js";
import type { IgnoreSources } from "../../shared/jail/ignore-list.js";
import { readEnabled, readJail } from "../../shared/jail/jail-config-reader.js";
import { type HostJailConfig, resolveJail } from "./jail-config.js";

/** A jail that could not be built, and why (the ConfigError's text: `file:line [jail] option: reason`). */
export interface JailBuildFailure {
  readonly jail: string;
  readonly reason: string;
}

/** The jails that were built, in configuration order, and those that were not. */
export interface JailBuild {
  readonly configs: HostJailConfig[];
  readonly failures: JailBuildFailure[];
}

/** What to build. */
export interface JailBuildOptions {
  /** Only these jails (enabled or not); default every enabled jail. */
  readonly only?: readonly string[];
  /** This host's addresses and the resolved ignoreip names. */
  readonly sources?: IgnoreSources;
  /** Replaces the logpath of jails: `{ sshd: ["/tmp/auth.log"] }`. */
  readonly logpaths?: Readonly<Record<string, readonly string[]>>;
}

/** Reads and resolves every wanted jail of `configDir`, each on its own; throws only when the tree is unreadable. */
export function buildJails(configDir: string, options: JailBuildOptions = {}): JailBuild {
  const config = loadConfig(configDir, "jail");
  config.mergeDefaults({ fail2ban_confpath: configDir });
  const sections = config.sections().filter((name) => name !== "INCLUDES" && name !== "DEFAULT");
  const configs: HostJailConfig[] = [];
  const failures: JailBuildFailure[] = [];
  for (const name of options.only ?? sections) {
    try {
      if (!sections.includes(name)) throw new CloudjailError(`no jail [${name}] in ${config.files.join(", ")}`);
      if (!options.only && !readEnabled(config, name)) continue;
      const jail = readJail(config, name);
      const logpaths = options.logpaths?.[name];
      configs.push(resolveJail(configDir, jail, options.sources ?? {}, logpaths ? { logpaths } : {}));
    } catch (error) {
      failures.push({ jail: name, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { configs, failures };
}

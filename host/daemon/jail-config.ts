// Turns the configured jails (shared/jail's typed model of jail.conf, jail.d, jail.local) into what the daemon
// runs: the jail logic's policy, the resolved filter, the log sources and the resolved actions. Every mistake is a
// ConfigError naming the jail and option, raised before anything touches the firewall.
import { type FilterDefinition, loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { ConfigError } from "../../shared/errors.js";
import { parseHostPosition } from "../../shared/filter/host-placement.js";
import type { IgnoreSources } from "../../shared/jail/ignore-list.js";
import type { JailConfig, LogPath } from "../../shared/jail/jail-config.js";
import { loadJails } from "../../shared/jail/jail-config-reader.js";
import { type JailPolicy, jailPolicy } from "../../shared/jail/jail-policy.js";
import type { ActionDefinition } from "../actions/action.js";
import { loadActionDefinition } from "../actions/action-loader.js";
import { journalMatchExpression } from "../sources/journal-entry.js";

/** One jail, ready to run. */
export interface HostJailConfig {
  readonly name: string;
  readonly jail: JailConfig;
  readonly policy: JailPolicy;
  readonly filter: FilterDefinition;
  /** `auto`, `polling`, `pyinotify`, `inotify`: files; `systemd`: journald. */
  readonly backend: string;
  readonly logpaths: readonly LogPath[];
  readonly journalmatch: string;
  readonly actions: readonly ActionDefinition[];
  readonly logTimeZone?: string;
}

/**
 * Loads the jails of `configDir` (every enabled one, or those named in `only`, enabled or not) and resolves their
 * filters and actions. `sources` gives this host's addresses (ignoreself) and the resolved ignoreip names.
 */
export function readJails(
  configDir: string,
  options: { only?: readonly string[]; sources?: IgnoreSources } = {},
): HostJailConfig[] {
  const jails = loadJails(configDir, options.only ? { names: options.only } : {});
  return jails.map((jail) => resolveJail(configDir, jail, options.sources ?? {}));
}

/** Resolves one typed jail against `configDir`'s filter.d and action.d. */
export function resolveJail(configDir: string, jail: JailConfig, sources: IgnoreSources): HostJailConfig {
  const at = (option: string) => {
    const origin = jail.origins[option];
    return { file: origin?.file, line: origin?.line, section: jail.name, option };
  };
  const guard = <T>(option: string, read: () => T): T => {
    try {
      return read();
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError((error as Error).message, at(option), { cause: error });
    }
  };
  const backend = jail.backend.trim();
  const filterSpec = jail.filter ?? { name: jail.name, options: {} };
  // The jail's options are the filter's variables, and a filter option set in the jail (failregex, journalmatch,
  // datepattern ...) replaces the filter's, as in fail2ban.
  const filter = guard("filter", () => loadFilterDefinition(configDir, filterSpec, jail.options, { backend }));
  // a mistyped hostposition would turn the log-injection defence off: refused now, not at the first line
  parseHostPosition(filter.hostposition, { file: filter.file, section: "Definition" });
  const journalmatch = journalMatchExpression(filter.journalmatch ?? []);
  if (backend.startsWith("systemd")) {
    if (journalmatch === "") {
      throw new ConfigError("backend = systemd needs a journalmatch (in the jail or its filter)", at("backend"));
    }
  } else if (jail.logpath.length === 0) {
    throw new ConfigError("no logpath: give the log file(s) to watch, or backend = systemd", at("logpath"));
  }
  const actions = jail.actions.map((spec) =>
    guard("action", () => loadActionDefinition(configDir, spec.name, { name: jail.name, ...spec.options })),
  );
  const logTimeZone = jail.options["logtimezone"]?.trim();
  return {
    name: jail.name,
    jail,
    policy: jailPolicy(jail, sources),
    filter,
    backend,
    logpaths: jail.logpath,
    journalmatch,
    actions,
    ...(logTimeZone ? { logTimeZone } : {}),
  };
}

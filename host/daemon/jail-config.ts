// Turns the configured jails (shared/jail's typed model of jail.conf, jail.d, jail.local) into what the daemon
// runs: the jail logic's policy, the resolved filter, the log sources and the resolved actions. Every mistake is a
// ConfigError naming the jail and option, raised before anything touches the firewall.
import { type FilterDefinition, loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { ConfigError } from "../../shared/errors.js";
import { parseHostPosition } from "../../shared/filter/host-placement.js";
import { LogFilter } from "../../shared/filter/log-filter.js";
import type { IgnoreSources } from "../../shared/jail/ignore-list.js";
import type { JailConfig, LogPath } from "../../shared/jail/jail-config.js";
import { loadJails } from "../../shared/jail/jail-config-reader.js";
import { type JailPolicy, jailPolicy } from "../../shared/jail/jail-policy.js";
import type { ActionDefinition } from "../actions/action.js";
import { loadActionDefinition } from "../actions/action-loader.js";
import { expandGlob } from "../sources/glob.js";
import { journalMatchExpression } from "../sources/journal-entry.js";
import { filterSpec as engineFilterSpec } from "./line-matcher.js";
import { chooseLogBackend } from "./log-backend.js";

/** One jail, ready to run. */
export interface HostJailConfig {
  readonly name: string;
  readonly jail: JailConfig;
  readonly policy: JailPolicy;
  readonly filter: FilterDefinition;
  /** `auto`, `polling`, `pyinotify`, `inotify`: files; `systemd`: journald (as configured). */
  readonly backend: string;
  /** What the jail reads, chosen from `backend`, `logpath` and the files present (see chooseLogBackend). */
  readonly source: "files" | "journal";
  /** Why: logged at INFO when the jail starts. */
  readonly sourceReason: string;
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

/**
 * Compiles a filter as the daemon will run it; when that fails, finds the regex at fault so that the error names
 * its file and line (`filter.d/X.local:3`), not only the filter.
 */
function compileFilter(filter: FilterDefinition): void {
  try {
    new LogFilter(engineFilterSpec(filter), { useDns: "no" });
  } catch (error) {
    const spec = engineFilterSpec(filter);
    const regexes = [
      ...filter.failregex.map((regex) => ({ regex, kind: "failregex" as const })),
      ...filter.ignoreregex.map((regex) => ({ regex, kind: "ignoreregex" as const })),
    ];
    // each regex alone, without the prefregex: a broken prefregex must not be blamed on the first failregex (the
    // original error, which names the prefregex, is thrown when no single regex is at fault)
    const { prefregex: _prefregex, ...withoutPrefix } = spec;
    for (const { regex, kind } of regexes) {
      try {
        const one = { ...withoutPrefix, failregex: [], ignoreregex: [] };
        new LogFilter(
          kind === "failregex"
            ? { ...one, failregex: [regex.pattern] }
            : { ...one, ignoreregex: [regex.pattern], failregex: spec.failregex },
          { useDns: "no" },
        );
      } catch (culprit) {
        if (regex.file === undefined) continue;
        throw new ConfigError(
          (culprit as Error).message,
          { file: regex.file, line: regex.line, section: "Definition", option: kind },
          { cause: error },
        );
      }
    }
    throw error;
  }
}

/** Resolves one typed jail against `configDir`'s filter.d and action.d. */
export function resolveJail(
  configDir: string,
  jail: JailConfig,
  sources: IgnoreSources,
  options: { readonly logpaths?: readonly string[] } = {},
): HostJailConfig {
  const at = (option: string) => {
    const origin = jail.origins[option];
    return { file: origin?.file, line: origin?.line, section: jail.name, option };
  };
  const guard = <T>(option: string, read: () => T): T => {
    try {
      return read();
    } catch (error) {
      // An error that already says which file it is about stands; any other is placed at the jail's option, so
      // that `filter = tighvnc-auth` (a typo) names the jail file and line that asked for it.
      if (error instanceof ConfigError && error.where.file) throw error;
      const reason = error instanceof ConfigError ? error.reason : (error as Error).message;
      throw new ConfigError(reason, at(option), { cause: error });
    }
  };
  const backend = jail.backend.trim();
  const filterSpec = jail.filter ?? { name: jail.name, options: {} };
  // The jail's options are the filter's variables, and a filter option set in the jail (failregex, journalmatch,
  // datepattern ...) replaces the filter's, as in fail2ban.
  const configured = guard("filter", () => loadFilterDefinition(configDir, filterSpec, jail.options, { backend }));
  const journalmatch = journalMatchExpression(configured.journalmatch ?? []);
  // --logpath (replays, tests) replaces the logpath and always means files.
  const logpaths = options.logpaths
    ? options.logpaths.map((pattern) => ({ pattern, position: "head" as const }))
    : jail.logpath;
  const choice = options.logpaths
    ? { kind: "files" as const, reason: "reading the files given by --logpath" }
    : chooseLogBackend({
        backend,
        logpaths,
        journalmatch,
        backendOrigin: jail.origins["backend"],
        logpathOrigin: jail.origins["logpath"],
        matchesFile: (pattern) => expandGlob(pattern).length > 0,
      });
  if (choice.kind === "journal") {
    if (journalmatch === "") {
      throw new ConfigError("backend = systemd needs a journalmatch (in the jail or its filter)", at("backend"));
    }
  } else if (logpaths.length === 0) {
    throw new ConfigError("no logpath: give the log file(s) to watch, or backend = systemd", at("logpath"));
  }
  // The filter reads lines as the chosen source writes them (its `logtype`: journal or file heads and dates): read
  // again when the choice differs from what `backend` says (auto that fell back to the journal, an explicit logpath
  // over backend = systemd, --logpath).
  const readsJournal = backend.toLowerCase().startsWith("systemd");
  const filter =
    (choice.kind === "journal") === readsJournal
      ? configured
      : guard("filter", () =>
          loadFilterDefinition(configDir, filterSpec, jail.options, {
            backend: choice.kind === "journal" ? "systemd" : "auto",
          }),
        );
  // a mistyped hostposition would turn the log-injection defence off: refused now, not at the first line
  parseHostPosition(filter.hostposition, { file: filter.file, section: "Definition" });
  // Compiled now, so that a regex that cannot work (an unbalanced parenthesis) fails the jail at start or reload
  // instead of failing every line later.
  guard("filter", () => compileFilter(filter));
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
    source: choice.kind,
    sourceReason: choice.reason,
    logpaths,
    journalmatch,
    actions,
    ...(logTimeZone ? { logTimeZone } : {}),
  };
}

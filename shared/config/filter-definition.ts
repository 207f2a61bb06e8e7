import { existsSync } from "node:fs";
import { basename, dirname, isAbsolute, resolve } from "node:path";
import { ConfigError, type ConfigLocation } from "../errors.js";
import { layerFiles, loadConfig, loadConfigFiles } from "./config-loader.js";
import type { ConfigValue } from "./config-value.js";
import { resolveDefinitionOptions } from "./definition-options.js";
import { checkFilterModes } from "./filter-modes.js";
import type { LayeredConfig } from "./layered-config.js";
import { type OptionSpec, parseOptionSpec } from "./option-spec.js";

/** One regular expression of a filter, with the file and line it was written on. */
export interface FilterRegex {
  readonly pattern: string;
  readonly file?: string;
  readonly line?: number;
}

/** A filter.d definition resolved for use: every `%(...)s` and `<tag>` of the config substituted. */
export interface FilterDefinition {
  /** The filter's name (`sshd`), or the path given. */
  readonly name: string;
  /** The filter's own file (`filter.d/sshd.conf`, or the path given). */
  readonly file: string;
  /** Every file read, includes too, in merge order (`common.conf` usually comes first). */
  readonly files: readonly string[];
  /** One entry per non-empty line of `failregex`; its `<HOST>`, `<F-...>` tags are left for the regex engine. */
  readonly failregex: readonly FilterRegex[];
  readonly ignoreregex: readonly FilterRegex[];
  /** The prefix regex every line must match first; its `<F-CONTENT>` is what `failregex` sees. */
  readonly prefregex?: string;
  readonly datepattern?: string;
  readonly maxlines?: number;
  /** Non-empty lines of `journalmatch`, each a journalctl match expression (`_SYSTEMD_UNIT=sshd.service + _COMM=sshd`). */
  readonly journalmatch?: readonly string[];
  readonly usedns?: string;
  readonly logtype?: string;
  /**
   * cloudjail's `hostposition` (see shared/filter/host-placement): where the program writes the client address
   * relative to client text. fail2ban does not read it (its filter reader passes on only the options it knows).
   */
  readonly hostposition?: string;
  /**
   * Every resolved value: the known options, arguments, [Init] values (and `known/...`), and the other [Definition]
   * options (left out when one of them cannot be resolved; a jail reader that needs fail2ban's exact behaviour calls
   * `resolveDefinitionOptions` with `allDefinitionOptions`).
   */
  readonly options: Readonly<Record<string, string>>;
}

/** The [Definition] options of a filter that fail2ban reads itself, in its order. */
export const FILTER_OPTIONS = [
  "usedns",
  "prefregex",
  "ignoreregex",
  "failregex",
  "maxlines",
  "datepattern",
  "journalmatch",
] as const;

/** Options of {@link loadFilterDefinition}. */
export interface FilterLoadOptions {
  /**
   * The log backend (`auto`, `pyinotify`, `polling`, `systemd`...): unless the arguments or the filter's own
   * [Definition] set `logtype`, it becomes `journal` for `systemd*` backends and `file` otherwise, as fail2ban does.
   * @default "auto"
   */
  readonly backend?: string;
  /** Where the reference was written (a jail's `filter =` line), for errors about the reference itself. */
  readonly where?: ConfigLocation;
  /**
   * Refuse a mode-like option whose value the filter does not offer (`exim[mode=foo]`, see filter-modes.ts). fail2ban
   * resolves such a filter and fails later, or never, on the reference left in its regex; a resolution compared with
   * fail2ban's turns this off.
   * @default true
   */
  readonly checkModes?: boolean;
}

/**
 * Loads and resolves a filter the way fail2ban does for a jail or for fail2ban-regex.
 *
 * `spec` is a filter name (`sshd`, read from `configDir/filter.d/sshd.conf`, `sshd.d/*.conf`, `sshd.local`,
 * `sshd.d/*.local` with their includes), a reference with arguments (`sshd[mode=aggressive]` or `{name, options}`),
 * or a path to a `.conf` file (a file inside a `filter.d` folder is loaded with its layers; any other file alone
 * with its includes and the `.local` beside it). Arguments override [Init] values. `overrides` are the caller's
 * options (a jail's): they are visible to `%(name)s` expansion, and a known option they set (`failregex`,
 * `maxlines`, ...) replaces the filter's (taken as given, one regex per line).
 *
 * Throws a {@link ConfigError} for an unknown filter (listing where it looked), a bad reference, a syntax or
 * interpolation error (with file and line), or a `maxlines` that is not a whole number.
 *
 * @example
 * const sshd = loadFilterDefinition("/etc/fail2ban", "sshd[mode=aggressive]");
 * sshd.failregex.map((r) => r.pattern);
 */
export function loadFilterDefinition(
  configDir: string,
  spec: string | OptionSpec,
  overrides: Readonly<Record<string, string>> = {},
  options: FilterLoadOptions = {},
): FilterDefinition {
  const { name, options: args } = typeof spec === "string" ? parseOptionSpec(spec, options.where) : spec;
  const config = loadFilterConfig(configDir, name, options.where ?? {});
  const callerArgs: Record<string, string> = { ...args };
  const backend = options.backend ?? "auto";
  if (!callerArgs["logtype"] && !config.section("Definition")?.has("logtype")) {
    callerArgs["logtype"] = backend.startsWith("systemd") ? "journal" : "file";
  }
  const { values, origins } = resolveDefinitionOptions({
    config,
    knownOptions: FILTER_OPTIONS,
    args: callerArgs,
    callerOptions: overrides,
  });
  const resolved = new Map(values);
  const origin = new Map(origins);
  for (const option of FILTER_OPTIONS) {
    const override = overrides[option];
    if (override !== undefined && !resolved.has(option)) {
      resolved.set(option, override);
      origin.set(option, { value: override, file: "<jail>" });
    }
  }
  const allOptions = Object.fromEntries(withDefinitionOptions(config, callerArgs, overrides) ?? resolved);
  for (const [key, value] of resolved) allOptions[key] = value;
  if (options.checkModes !== false) {
    checkFilterModes(
      config,
      name,
      new Map(Object.entries({ ...allOptions, ...callerArgs })),
      ["failregex", "ignoreregex", "prefregex", "datepattern", "maxlines"].map((option) => resolved.get(option) ?? ""),
      args,
      options.where ?? {},
    );
  }

  const single = (option: string): string | undefined => resolved.get(option);
  const hostposition = overrides["hostposition"] ?? readHostPosition(config, callerArgs, overrides);
  const maxlines = single("maxlines");
  const prefregex = single("prefregex");
  return {
    name,
    file: config.layers[0] ?? name,
    files: config.files,
    failregex: regexLines(resolved.get("failregex"), origin.get("failregex")),
    ignoreregex: regexLines(resolved.get("ignoreregex"), origin.get("ignoreregex")),
    ...(prefregex !== undefined && { prefregex }),
    ...(single("datepattern") !== undefined && { datepattern: single("datepattern") }),
    ...(maxlines !== undefined && { maxlines: parseMaxLines(maxlines, origin.get("maxlines")) }),
    ...(single("journalmatch") !== undefined && {
      journalmatch: single("journalmatch")!
        .split("\n")
        .filter((line) => line !== ""),
    }),
    ...(single("usedns") !== undefined && { usedns: single("usedns") }),
    ...(single("logtype") !== undefined && { logtype: single("logtype") }),
    ...(hostposition !== undefined && { hostposition }),
    options: allOptions,
  };
}

/**
 * Every option with the rest of [Definition] resolved too, as fail2ban does when it exposes a filter's options to
 * its jail; undefined when one of those extra options cannot be resolved (fail2ban-regex never reads them, so
 * neither does the filter itself).
 */
function withDefinitionOptions(
  config: LayeredConfig,
  args: Record<string, string>,
  overrides: Readonly<Record<string, string>>,
): Map<string, string> | undefined {
  try {
    return resolveDefinitionOptions({
      config,
      knownOptions: FILTER_OPTIONS,
      args,
      callerOptions: overrides,
      allDefinitionOptions: true,
    }).values;
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

/**
 * The filter's own `hostposition`, resolved apart from fail2ban's options so that the reader keeps fail2ban's exact
 * option set (and a failure elsewhere in [Definition] never hides it).
 */
function readHostPosition(
  config: LayeredConfig,
  args: Record<string, string>,
  overrides: Readonly<Record<string, string>>,
): string | undefined {
  if (config.raw("Definition", "hostposition", {}) === undefined) return undefined;
  return resolveDefinitionOptions({
    config,
    knownOptions: ["hostposition"],
    args,
    callerOptions: overrides,
  }).values.get("hostposition");
}

/** Finds and loads the configuration of a filter name or path; throws listing where it looked. */
function loadFilterConfig(configDir: string, name: string, where: ConfigLocation): LayeredConfig {
  if (name.includes("/")) {
    const path = isAbsolute(name) ? name : resolve(name);
    if (!existsSync(path)) throw new ConfigError(`filter file ${path} does not exist`, where);
    if (basename(dirname(path)) === "filter.d") {
      return loadConfig(dirname(dirname(path)), `filter.d/${stripExtension(basename(path))}`);
    }
    return loadConfigFiles([path]);
  }
  const layered = `filter.d/${stripExtension(name)}`;
  if (layerFiles(configDir, layered).existing.length === 0) {
    const { candidates } = layerFiles(configDir, layered);
    throw new ConfigError(`unknown filter '${name}': none of ${candidates.join(", ")} exists`, where);
  }
  return loadConfig(configDir, layered);
}

function stripExtension(name: string): string {
  return name.replace(/\.(conf|local)$/, "");
}

/** Splits a multi-line regex option into its non-empty lines, each located at its own file line when known. */
function regexLines(value: string | undefined, origin: ConfigValue | undefined): FilterRegex[] {
  if (value === undefined) return [];
  const lines = value.split("\n");
  // Lines map one to one only when expansion did not change the line count.
  const sameShape = origin?.lines !== undefined && origin.lines.length === lines.length;
  const out: FilterRegex[] = [];
  lines.forEach((pattern, index) => {
    if (pattern === "") return;
    out.push({ pattern, file: origin?.file, line: sameShape ? origin!.lines![index] : origin?.line });
  });
  return out;
}

function parseMaxLines(value: string, origin: ConfigValue | undefined): number {
  const trimmed = value.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) {
    throw new ConfigError(`maxlines must be a whole number, found '${value}'`, {
      file: origin?.file,
      line: origin?.line,
      section: "Definition",
      option: "maxlines",
    });
  }
  return Number.parseInt(trimmed, 10);
}

import { loadConfig } from "../config/config-loader.js";
import type { ConfigValue } from "../config/config-value.js";
import type { LayeredConfig } from "../config/layered-config.js";
import { parseOptionSpec, parseOptionSpecList } from "../config/option-spec.js";
import { ConfigError, type ConfigLocation } from "../errors.js";
import { banTimeIncrement } from "./ban-time.js";
import { parseIgnoreIp } from "./ignore-list.js";
import type { JailConfig, LogPath, UseDns } from "./jail-config.js";
import { ExpressionSyntaxError } from "./python-expression.js";
import { parseTimeSpan } from "./time-span.js";

/** Options of {@link loadJails}. */
export interface LoadJailsOptions {
  /** Read only these jails (in this order, enabled or not); an unknown name is an error. Default: every jail. */
  readonly names?: readonly string[];
  /** Also return disabled jails, fully checked (like `fail2ban-client -t`); default: enabled jails only. */
  readonly includeDisabled?: boolean;
}

// fail2ban's server-side defaults, used when not even [DEFAULT] sets the option.
const DEFAULTS = { maxretry: "3", findtime: "600", bantime: "600", backend: "auto", usedns: "warn" } as const;
const NOT_JAILS = new Set(["INCLUDES", "DEFAULT"]);

/**
 * Reads the jails of a fail2ban-style configuration directory: `jail.conf`, `jail.d/*.conf`, `jail.local`,
 * `jail.d/*.local`, with includes, `[DEFAULT]` and `%(...)s` interpolation (shared/config), then types and checks
 * every option ({@link readJail}). fail2ban's own `/etc/fail2ban` tree reads unmodified. Throws a ConfigError naming
 * file, line, jail and option for the first bad value.
 *
 * @example
 * const jails = loadJails("/etc/fail2ban"); // enabled jails
 * jails.map((jail) => [jail.name, jail.maxretry, jail.findtime]);
 */
export function loadJails(baseDir: string, options: LoadJailsOptions = {}): JailConfig[] {
  const config = loadConfig(baseDir, "jail");
  config.mergeDefaults({ fail2ban_confpath: baseDir });
  const sections = config.sections().filter((name) => !NOT_JAILS.has(name));
  const names = options.names ?? sections;
  const jails: JailConfig[] = [];
  for (const name of names) {
    if (!sections.includes(name)) {
      throw new ConfigError(`no jail [${name}] in ${config.files.join(", ")}`, { section: name });
    }
    if (!options.includeDisabled && !options.names && !readEnabled(config, name)) continue;
    jails.push(readJail(config, name));
  }
  return jails;
}

/** Whether a jail is enabled (`enabled` is a boolean; a bad value is a ConfigError with its location). */
export function readEnabled(config: LayeredConfig, name: string): boolean {
  return new JailOptionReader(config, name).boolean("enabled", false);
}

/**
 * Types and checks one jail section of a loaded `jail` configuration: times in fail2ban's syntax, whole numbers,
 * booleans (1/yes/true/on, 0/no/false/off), `ignoreip` entries, the `bantime.*` formula, `usedns`, the filter and
 * action references. Unset options take fail2ban's defaults.
 */
export function readJail(config: LayeredConfig, name: string): JailConfig {
  const read = new JailOptionReader(config, name);
  const maxretry = read.integer("maxretry", DEFAULTS.maxretry, 1);
  const filterText = read.text("filter") ?? "";
  const actionText = read.text("action") ?? "";
  const increment = read.attempt(incrementOption, () =>
    banTimeIncrement({
      enabled: read.boolean("bantime.increment", false),
      ...optional("factor", read.text("bantime.factor")),
      ...optional("formula", read.text("bantime.formula")),
      ...optional("multipliers", read.text("bantime.multipliers")),
      ...optional("maxTime", read.time("bantime.maxtime")),
      ...optional("rndTime", read.time("bantime.rndtime")),
      overallJails: read.boolean("bantime.overalljails", false),
    }),
  );
  const ignorecommand = read.text("ignorecommand");
  return {
    name,
    enabled: read.boolean("enabled", false),
    ...(filterText.trim() === "" ? {} : { filter: parseOptionSpec(filterText.trim(), read.where("filter")) }),
    logpath: read.logpath(),
    loggroup: (read.text("loggroup") ?? "").split(/\s+/).filter((group) => group !== ""),
    backend: read.text("backend") ?? DEFAULTS.backend,
    maxretry,
    maxmatches: read.integer("maxmatches", String(maxretry), 0),
    findtime: read.positive("findtime", read.time("findtime") ?? Number(DEFAULTS.findtime)),
    bantime: read.time("bantime") ?? Number(DEFAULTS.bantime),
    ignoreip: read.attempt("ignoreip", () => parseIgnoreIp(read.text("ignoreip") ?? "")),
    ignoreself: read.boolean("ignoreself", true),
    ...(ignorecommand ? { ignorecommand } : {}),
    bantimeIncrement: increment,
    usedns: read.usedns(),
    port: read.text("port") ?? "0:65535",
    protocol: read.text("protocol") ?? "tcp",
    actions: parseOptionSpecList(actionText, read.where("action")),
    options: read.allOptions(),
    origins: read.allOrigins(),
  };
}

// Which bantime.* option a banTimeIncrement error is about: the factor's and the formula's errors quote their source.
function incrementOption(error: Error, read: JailOptionReader): string {
  if (error.message.startsWith("bantime.multipliers")) return "bantime.multipliers";
  if (error instanceof ExpressionSyntaxError && error.source === read.text("bantime.factor")) return "bantime.factor";
  return "bantime.formula";
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** Reads options of one jail section, turning bad values into ConfigErrors that say where. */
class JailOptionReader {
  constructor(
    private readonly config: LayeredConfig,
    private readonly jail: string,
  ) {}

  /** Where an option of this jail was written ([DEFAULT] or the jail's own section, whichever applies). */
  where(option: string): ConfigLocation {
    const raw: ConfigValue | undefined = this.config.raw(this.jail, option);
    return { file: raw?.file, line: raw?.line, section: this.jail, option };
  }

  /** The interpolated value, undefined when unset. */
  text(option: string): string | undefined {
    return this.config.get(this.jail, option);
  }

  /** Runs `parse`, re-throwing its error as a ConfigError located at `option` (or the option `option` names). */
  attempt<T>(option: string | ((error: Error, read: JailOptionReader) => string), parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const name = typeof option === "string" ? option : option(error as Error, this);
      throw new ConfigError((error as Error).message, this.where(name), { cause: error });
    }
  }

  boolean(option: string, fallback: boolean): boolean {
    const value = this.text(option);
    if (value === undefined) return fallback;
    const word = value.trim().toLowerCase();
    if (["1", "yes", "true", "on"].includes(word)) return true;
    if (["0", "no", "false", "off"].includes(word)) return false;
    throw new ConfigError(`expected true or false (yes/no, on/off, 1/0), found '${value}'`, this.where(option));
  }

  integer(option: string, fallback: string, minimum: number): number {
    const value = this.text(option) ?? fallback;
    const trimmed = value.trim();
    if (!/^[+-]?\d+$/.test(trimmed) || Number(trimmed) < minimum) {
      throw new ConfigError(`expected a whole number of at least ${minimum}, found '${value}'`, this.where(option));
    }
    return Number(trimmed);
  }

  time(option: string): number | undefined {
    const value = this.text(option);
    if (value === undefined || value.trim() === "") return undefined;
    return this.attempt(option, () => parseTimeSpan(value));
  }

  /** `value` when above zero; otherwise a ConfigError at `option`. */
  positive(option: string, value: number): number {
    if (value > 0) return value;
    throw new ConfigError(`must be longer than zero, found ${value} seconds`, this.where(option));
  }

  usedns(): UseDns {
    const value = (this.text("usedns") ?? DEFAULTS.usedns).trim().toLowerCase();
    if (value === "yes" || value === "warn" || value === "no" || value === "raw") return value;
    throw new ConfigError(`usedns must be yes, warn, no or raw, found '${value}'`, this.where("usedns"));
  }

  logpath(): LogPath[] {
    const value = this.text("logpath") ?? "";
    const paths: LogPath[] = [];
    for (const line of value.split("\n")) {
      const trimmed = line.trim();
      if (trimmed === "") continue;
      const suffix = /^(.*\S)\s+(head|tail)$/i.exec(trimmed);
      paths.push(
        suffix
          ? { pattern: suffix[1]!, position: suffix[2]!.toLowerCase() as LogPath["position"] }
          : { pattern: trimmed, position: "head" },
      );
    }
    return paths;
  }

  /** Every option visible to the jail ([DEFAULT] included), interpolated; an option that cannot be is left out. */
  allOptions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const option of this.config.options(this.jail, true)) {
      try {
        const value = this.text(option);
        if (value !== undefined) out[option] = value;
      } catch (error) {
        // [DEFAULT] may hold templates that only make sense in some jails; a jail's own options must resolve.
        if (!(error instanceof ConfigError) || this.config.section(this.jail)?.has(option)) throw error;
      }
    }
    return out;
  }

  allOrigins(): Record<string, ConfigValue> {
    const out: Record<string, ConfigValue> = {};
    for (const option of this.config.options(this.jail, true)) {
      const raw = this.config.raw(this.jail, option);
      if (raw) out[option] = raw;
    }
    return out;
  }
}

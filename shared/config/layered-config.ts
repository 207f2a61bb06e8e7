import { ConfigError } from "../errors.js";
import type { ConfigValue, SectionValues } from "./config-value.js";
import { DEFAULT_SECTION } from "./ini-parser.js";
import { type InterpolationSource, interpolate } from "./interpolation.js";

/** Prefix of the hidden sections that remember the values a later layer overrode (`%(known/name)s`). */
export const KNOWN_PREFIX = "KNOWN/";

/** Variables given to a lookup: they hide options of the same (case-insensitive) name. */
export type ConfigVars = Readonly<Record<string, string | ConfigValue>>;

const SECTION_OPTION = /^([\w-]+)\/([^\s>]+)$/;

/**
 * A configuration read from one or more layered files (see `loadConfig`), with fail2ban's lookup rules.
 *
 * - Section names are case-sensitive; option names are lower-cased. `[DEFAULT]` options are visible from every
 *   section; `[DEFAULT]` itself is not listed by {@link sections}.
 * - {@link get} returns the `%(...)s`-interpolated value, {@link raw} the value as written with its file and line.
 * - When a later file redefines an option of an existing section, the previous value stays reachable as
 *   `%(known/name)s` from that section (see {@link known}).
 * - Conditional sections such as `[Init?family=inet6]` are merged into `[Init]` with option names suffixed by the
 *   condition (`blocktype?family=inet6`); `substituteTags` picks them with its `conditional` argument.
 *
 * Readers of jails and actions use {@link mergeDefaults} and {@link mergeSection} to add values computed by
 * the program (fail2ban adds `fail2ban_version`, and a jail's section gets its filter's options as `known/...`).
 *
 * @example
 * const jails = loadConfig("/etc/fail2ban", "jail");
 * for (const jail of jails.sections()) jails.get(jail, "logpath"); // "%(sshd_log)s" expanded
 */
export class LayeredConfig implements InterpolationSource {
  /**
   * @param defaults options of `[DEFAULT]`
   * @param allSections every section, the `KNOWN/...` ones included
   * @param files the files merged, in order (includes too)
   * @param warnings notes about tolerated oddities (an include loop skipped, ...)
   * @param layers the files asked for (`X.conf`, `X.local`...), without their includes; `files` when not given
   */
  constructor(
    readonly defaults: SectionValues,
    private readonly allSections: Map<string, SectionValues>,
    readonly files: readonly string[] = [],
    readonly warnings: readonly string[] = [],
    layers?: readonly string[],
  ) {
    this.layers = layers ?? files;
  }

  /** The files asked for (`X.conf`, `X.d/*.conf`, `X.local`...), without their includes: the first one names it. */
  readonly layers: readonly string[];

  /** Raw options of a section as stored (`KNOWN/...` sections included); `[DEFAULT]` is {@link defaults}. */
  section(name: string): SectionValues | undefined {
    return this.allSections.get(name);
  }

  /** Names of the sections, in the order they first appeared, without `[DEFAULT]` and the `KNOWN/...` ones. */
  sections(): string[] {
    return [...this.allSections.keys()].filter((name) => !name.startsWith(KNOWN_PREFIX));
  }

  /** Whether the section exists (`[DEFAULT]` is not a section here, as in fail2ban). */
  hasSection(name: string): boolean {
    return this.allSections.has(name);
  }

  /**
   * Option names of a section, in definition order; with `withDefaults`, `[DEFAULT]`'s names follow. Throws a
   * {@link ConfigError} when the section does not exist.
   */
  options(section: string, withDefaults = false): string[] {
    const own = this.requireSection(section);
    const names = [...own.keys()];
    if (withDefaults) for (const name of this.defaults.keys()) if (!own.has(name)) names.push(name);
    return names;
  }

  /** Whether the option is defined in the section (or, with `withDefaults`, in `[DEFAULT]`). */
  hasOption(section: string, option: string, withDefaults = true): boolean {
    const name = option.toLowerCase();
    if (section === DEFAULT_SECTION) return this.defaults.has(name);
    const own = this.allSections.get(section);
    if (!own) return false;
    return own.has(name) || (withDefaults && this.defaults.has(name));
  }

  /**
   * The value as written (no interpolation) with its file and line, looked up in `vars`, the section, then
   * `[DEFAULT]`; undefined when not defined. Throws a {@link ConfigError} when the section does not exist.
   */
  raw(section: string, option: string, vars?: ConfigVars): ConfigValue | undefined {
    const name = option.toLowerCase();
    const extra = toVarMap(vars);
    return extra.get(name) ?? this.sectionOrEmpty(section).get(name) ?? this.defaults.get(name);
  }

  /**
   * The value of an option with `%(...)s` expanded (see `interpolate` for the rules), looked up in `vars`, the
   * section, then `[DEFAULT]`; undefined when the option is not defined. Throws a {@link ConfigError} when the
   * section does not exist or the interpolation fails.
   */
  get(section: string, option: string, vars?: ConfigVars): string | undefined {
    const name = option.toLowerCase();
    const extra = toVarMap(vars);
    const own = this.sectionOrEmpty(section);
    const found = extra.get(name) ?? own.get(name) ?? this.defaults.get(name);
    if (found === undefined) return undefined;
    return interpolate(this, section, { ...found, name }, { extra, section: own, defaults: this.defaults });
  }

  /**
   * Like {@link get}, but an option named `section/name` is first looked up in that section (`known/name`: the
   * value this section had before its last override, else the current one; `default/name`: `[DEFAULT]`), without
   * `vars`; only when not found there is the whole name looked up in `section` with `vars`. This is how fail2ban
   * resolves `<known/name>` and `<section/name>` tags. Missing sections or options give undefined.
   */
  getEx(section: string, option: string, vars?: ConfigVars): string | undefined {
    const parts = option.includes("/") ? SECTION_OPTION.exec(option) : null;
    if (parts) {
      const target = parts[1]!;
      const name = parts[2]!;
      const lower = target.toLowerCase();
      const candidates =
        lower === "known" ? [`${KNOWN_PREFIX}${section}`, section] : [lower === "default" ? DEFAULT_SECTION : target];
      for (const candidate of candidates) {
        if (candidate !== DEFAULT_SECTION && !this.hasSection(candidate)) continue;
        const value = this.get(candidate, name);
        if (value !== undefined) return value;
      }
    }
    if (section !== DEFAULT_SECTION && !this.hasSection(section)) return undefined;
    return this.get(section, option, vars);
  }

  /** The raw value an option of `section` had before the last file that overrode it, if any. */
  known(section: string, option: string): ConfigValue | undefined {
    return this.allSections.get(`${KNOWN_PREFIX}${section}`)?.get(option.toLowerCase());
  }

  /** Adds or replaces `[DEFAULT]` options (names lower-cased), e.g. values a program provides. */
  mergeDefaults(values: ConfigVars): void {
    for (const [name, value] of toVarMap(values)) this.defaults.set(name, value);
  }

  /**
   * Adds or replaces options of a section (created when missing). With a `prefix` (fail2ban uses `known/`), each
   * name gets the prefix, and names that already start with it, or `__name__`, are skipped.
   */
  mergeSection(section: string, values: ConfigVars, prefix = ""): void {
    let target = this.allSections.get(section);
    if (!target) {
      target = new Map();
      this.allSections.set(section, target);
    }
    for (const [name, value] of Object.entries(values)) {
      const key = name.toLowerCase();
      if (!prefix) {
        target.set(key, asValue(value));
      } else if (!key.startsWith(prefix) && key !== "__name__") {
        target.set(`${prefix}${key}`, asValue(value));
      }
    }
  }

  private sectionOrEmpty(section: string): SectionValues {
    if (section === DEFAULT_SECTION) return new Map();
    return this.requireSection(section);
  }

  private requireSection(section: string): SectionValues {
    const own = this.allSections.get(section);
    if (!own) {
      throw new ConfigError(`no section [${section}] in ${this.files.join(", ") || "the configuration"}`, { section });
    }
    return own;
  }
}

function asValue(value: string | ConfigValue): ConfigValue {
  return typeof value === "string" ? { value, file: "<program>" } : value;
}

function toVarMap(vars: ConfigVars | undefined): Map<string, ConfigValue> {
  const map = new Map<string, ConfigValue>();
  if (vars) for (const [name, value] of Object.entries(vars)) map.set(name.toLowerCase(), asValue(value));
  return map;
}

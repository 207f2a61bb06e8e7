// A filter's mode-like options (`mode`, `publickey`, ...) choose one of the filter's option families through an
// embedded reference: `<_ex_mode_<mode>>` or `%(_sshd_%(mode)s)s`. A value the filter does not offer leaves that
// reference unresolved, and the error that surfaces later (a failregex without a failure-id group, or a regex that
// silently lacks the mode's lines) names the filter's private option instead of the user's mistake. This check
// names the option, the value and the values the filter offers.
import { ConfigError, type ConfigLocation } from "../errors.js";
import type { LayeredConfig } from "./layered-config.js";

/** `<prefix<option>suffix>` (a tag) and `%(prefix%(option)ssuffix)s` (an interpolation). */
const EMBEDDED = [/<([^<>\s]*)<([\w-]+)>([^<>\s]*)>/g, /%\(([^()\s%]*)%\(([\w-]+)\)s([^()\s%]*)\)s/g];

/** The sections where a filter defines the options its references name. */
const SECTIONS = ["Definition", "Init"];

/** One embedded reference: the family `prefix*suffix` chosen by `option`, and where the reference was written. */
interface ModeReference {
  readonly prefix: string;
  readonly option: string;
  readonly suffix: string;
}

/**
 * Throws a {@link ConfigError} when an option that selects one of the filter's families of options (`mode` in
 * `<_ex_mode_<mode>>`) has a value for which the filter defines no option, naming the value and those it offers.
 * `values` are the resolved options (arguments included), `used` the resolved texts the filter runs (its regexes);
 * `args` the filter reference's arguments, whose location is `where`. A reference that no used text still holds
 * is left alone, as fail2ban does.
 *
 * @example
 * checkFilterModes(config, "exim", new Map([["mode", "foo"]]), ["<_ex_mode_foo>"], { mode: "foo" }, { file: "jail.local", line: 3 });
 * // ConfigError: jail.local:3: filter 'exim' has no mode 'foo' (it offers mode = normal, aggressive, more)
 */
export function checkFilterModes(
  config: LayeredConfig,
  filterName: string,
  values: ReadonlyMap<string, string>,
  used: readonly string[],
  args: Readonly<Record<string, string>>,
  where: ConfigLocation,
): void {
  const options = definedOptions(config);
  // `<L_<logging>/failregex>` names a section (`[L_catalina]`), whatever option follows the slash
  const sections = new Set(config.sections().map((name) => `${name}/`.toLowerCase()));
  for (const reference of embeddedReferences(config)) {
    const value = values.get(reference.option);
    // an option that is itself unresolved, or a value with spaces or tags, is not a plain family choice
    if (value === undefined || !/^[\w.-]*$/.test(value)) continue;
    const slash = reference.suffix.indexOf("/");
    const family = slash < 0 ? reference : { ...reference, suffix: reference.suffix.slice(0, slash + 1) };
    const defined = slash < 0 ? options : sections;
    if (defined.has(`${family.prefix}${value}${family.suffix}`.toLowerCase())) continue;
    // only a reference left unresolved in what the filter runs matters (fail2ban resolves the rest and ignores it)
    const leftover = `${reference.prefix}${value}${reference.suffix}`;
    if (!used.some((text) => text.includes(`<${leftover}>`) || text.includes(`%(${leftover})s`))) continue;
    const offered = [...defined]
      .filter(
        (name) =>
          name.startsWith(family.prefix.toLowerCase()) &&
          name.endsWith(family.suffix.toLowerCase()) &&
          name.length > family.prefix.length + family.suffix.length,
      )
      .map((name) => name.slice(family.prefix.length, name.length - family.suffix.length));
    const at = reference.option in args ? where : locationOf(config, reference.option);
    throw new ConfigError(
      `filter '${filterName}' has no ${reference.option} '${value}' (it offers ${reference.option} = ` +
        `${offered.length > 0 ? [...new Set(offered)].join(", ") : "nothing"})`,
      at,
    );
  }
}

function definedOptions(config: LayeredConfig): Set<string> {
  const names = new Set<string>(config.defaults.keys());
  for (const section of SECTIONS) for (const name of config.section(section)?.keys() ?? []) names.add(name);
  return names;
}

function embeddedReferences(config: LayeredConfig): ModeReference[] {
  const found = new Map<string, ModeReference>();
  for (const section of SECTIONS) {
    for (const { value } of config.section(section)?.values() ?? []) {
      for (const pattern of EMBEDDED) {
        for (const match of value.matchAll(pattern)) {
          const reference = { prefix: match[1]!, option: match[2]!.toLowerCase(), suffix: match[3]! };
          found.set(`${reference.prefix}\0${reference.option}\0${reference.suffix}`, reference);
        }
      }
    }
  }
  return [...found.values()];
}

function locationOf(config: LayeredConfig, option: string): ConfigLocation {
  for (const section of ["Init", "Definition"]) {
    const raw = config.section(section)?.get(option.toLowerCase());
    if (raw) return { file: raw.file, line: raw.line, section, option };
  }
  return { option };
}

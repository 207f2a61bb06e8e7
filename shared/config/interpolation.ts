import { ConfigError } from "../errors.js";
import type { ConfigValue, SectionValues } from "./config-value.js";

/** Python's ConfigParser gives up past this nesting depth; fail2ban inherits the limit. */
export const MAX_INTERPOLATION_DEPTH = 10;

/** What `%(name)s` interpolation needs from a configuration: raw sections, `[DEFAULT]` and remembered values. */
export interface InterpolationSource {
  /** Raw options of a section (not `[DEFAULT]`), or undefined when there is no such section. */
  section(name: string): SectionValues | undefined;
  /** Raw options of `[DEFAULT]`. */
  readonly defaults: SectionValues;
}

/** The names an interpolation can see: given variables first, then the section, then `[DEFAULT]`. */
export interface InterpolationScope {
  readonly extra: ReadonlyMap<string, ConfigValue>;
  readonly section: SectionValues;
  readonly defaults: SectionValues;
}

const REFERENCE = /^%\(([^)]+)\)s/;
const SECTION_REFERENCE = /%\(([\w-]+\/([^)]+))\)s/g;

/**
 * Expands `%(name)s`, `%(section/name)s`, `%(known/name)s`, `%(default/name)s`, `%(__name__)s` and `%%` in `value`,
 * with fail2ban's rules: a name is looked up (lower-cased) in the variables, the section and `[DEFAULT]`;
 * `%(section/name)s` takes the raw value of that option in that section (or `[DEFAULT]`), `%(known/name)s` the value
 * the option had in this section before the layer that overrode it (or `[DEFAULT]`), and `%(__name__)s` is the name of
 * the section being read. A value found is itself expanded in the context of the section being read. A reference to
 * a missing option, a loop, nesting deeper than ten levels or a stray `%` is a {@link ConfigError} naming where.
 */
export function interpolate(
  source: InterpolationSource,
  sectionName: string,
  option: ConfigValue & { readonly name: string },
  scope: InterpolationScope,
): string {
  const out: string[] = [];
  expand(source, sectionName, option, option.value, scope, 1, [], out);
  return out.join("");
}

function expand(
  source: InterpolationSource,
  sectionName: string,
  option: ConfigValue & { readonly name: string },
  text: string,
  parentScope: InterpolationScope,
  depth: number,
  chain: readonly string[],
  out: string[],
): void {
  const where = { file: option.file, line: option.line, section: sectionName, option: option.name };
  const extra = new Map(parentScope.extra);
  extra.set("__name__", { value: sectionName });
  mapSectionReferences(source, sectionName, text, extra, parentScope);
  const scope: InterpolationScope = { ...parentScope, extra };
  if (depth > MAX_INTERPOLATION_DEPTH) {
    throw new ConfigError(
      `interpolation nested deeper than ${MAX_INTERPOLATION_DEPTH} levels (${chain.map((n) => `%(${n})s`).join(" -> ")})`,
      where,
    );
  }
  let rest = text;
  while (rest !== "") {
    const percent = rest.indexOf("%");
    if (percent < 0) {
      out.push(rest);
      return;
    }
    if (percent > 0) {
      out.push(rest.slice(0, percent));
      rest = rest.slice(percent);
    }
    const next = rest[1];
    if (next === "%") {
      out.push("%");
      rest = rest.slice(2);
      continue;
    }
    if (next !== "(") {
      throw new ConfigError(
        `'%' must be followed by '%' or '(' (write '%%' for a literal '%'), found '${rest}'`,
        where,
      );
    }
    const reference = REFERENCE.exec(rest);
    if (!reference) throw new ConfigError(`bad interpolation reference '${rest}'`, where);
    const name = reference[1]!.toLowerCase();
    rest = rest.slice(reference[0].length);
    const found = lookup(scope, name);
    if (found === undefined) {
      throw new ConfigError(
        `%(${reference[1]})s refers to an option that is not defined in [${sectionName}] nor [DEFAULT]`,
        where,
      );
    }
    if (!found.value.includes("%")) {
      out.push(found.value);
      continue;
    }
    if (chain.includes(name)) {
      throw new ConfigError(
        `interpolation loop: ${[...chain, name].map((n) => `%(${n})s`).join(" -> ")} refers to itself`,
        where,
      );
    }
    expand(source, sectionName, option, found.value, scope, depth + 1, [...chain, name], out);
  }
}

function lookup(scope: InterpolationScope, name: string): ConfigValue | undefined {
  return scope.extra.get(name) ?? scope.section.get(name) ?? scope.defaults.get(name);
}

/**
 * Makes `%(section/name)s` references of `text` visible as variables, as fail2ban does before each expansion step.
 * Only names not yet visible are added; their key keeps the case written, so (as in fail2ban) only lower-case
 * references can be found afterwards.
 */
function mapSectionReferences(
  source: InterpolationSource,
  sectionName: string,
  text: string,
  extra: Map<string, ConfigValue>,
  scope: InterpolationScope,
): void {
  if (!text.includes("/") || !text.includes("%(")) return;
  for (const match of text.matchAll(SECTION_REFERENCE)) {
    const full = match[1]!;
    const name = match[2]!;
    if (extra.has(full) || scope.section.has(full) || scope.defaults.has(full)) continue;
    const target = full.slice(0, full.length - name.length - 1);
    const lower = target.toLowerCase();
    let value: ConfigValue | undefined;
    if (lower === "known") {
      value = source.section(`KNOWN/${sectionName}`)?.get(name);
    } else if (lower !== "default") {
      const section = source.section(target);
      if (!section) continue;
      value = section.get(name);
    }
    value ??= source.defaults.get(name);
    if (value !== undefined) extra.set(full, value);
  }
}

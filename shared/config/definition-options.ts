import { ConfigError } from "../errors.js";
import type { ConfigValue } from "./config-value.js";
import type { LayeredConfig } from "./layered-config.js";
import { substituteTags, TagRecursionError } from "./tags.js";

const CONDITIONAL_OPTION = /^(\w+)(\?.+)$/;

/** Input of {@link resolveDefinitionOptions}. */
export interface DefinitionRequest {
  /** The loaded filter.d or action.d configuration. */
  readonly config: LayeredConfig;
  /** The [Definition] options the reader knows (fail2ban's `_configOpts`), read in this order. */
  readonly knownOptions: readonly string[];
  /** Arguments given with the reference (`sshd[mode=aggressive]`): they override [Init] values. */
  readonly args?: Readonly<Record<string, string | ConfigValue>>;
  /**
   * Options of the caller (a jail's options): they are visible to `%(name)s` expansion and a known option they
   * define is not read from [Definition] (the caller's value wins).
   */
  readonly callerOptions?: Readonly<Record<string, string | ConfigValue>>;
  /** Also take every other option of [Definition] (fail2ban does so to expose a filter's options to its jail). */
  readonly allDefinitionOptions?: boolean;
  /** Tags not substituted (an action's escaped tags, `timeout`, `bantime`). */
  readonly ignoreTags?: Iterable<string>;
}

/** Result of {@link resolveDefinitionOptions}: values after `%(...)s` and `<tag>` substitution. */
export interface ResolvedDefinition {
  /** Every option, in fail2ban's order: known [Definition] options first, then arguments, then [Init] values. */
  readonly values: Map<string, string>;
  /**
   * The same options before `<tag>` substitution (`%(...)s` already expanded). fail2ban's action reader hands the
   * [Init] values and arguments to its server in this form and substitutes tags when a command runs.
   */
  readonly combined: Map<string, string>;
  /** Where each value came from (for error messages), keyed like `values`. */
  readonly origins: Map<string, ConfigValue>;
}

/**
 * Combines the [Definition] and [Init] sections of a filter or action file with the reference's arguments, the way
 * fail2ban's DefinitionInitConfigReader does, and substitutes `<tag>`s recursively:
 *
 * 1. each known [Definition] option not given by the caller is read with `%(...)s` expanded (arguments and caller
 *    options visible as variables);
 * 2. arguments are kept as given; each [Init] option not given as argument is added, and every [Init] option is also
 *    available as `known/<name>` (its value before the argument);
 * 3. `<tag>`s are substituted across all values; a tag none of them defines is looked up in [Definition] (and
 *    `[DEFAULT]`, `known/...`, `section/...`); tags still unknown stay as written. Options of conditional sections
 *    (`name?family=inet6`) are kept apart and their base names left for the runtime to choose.
 *
 * Throws a {@link ConfigError} when there is no [Definition] section, an interpolation fails, or tags refer to
 * themselves.
 */
export function resolveDefinitionOptions(request: DefinitionRequest): ResolvedDefinition {
  const { config } = request;
  const file = config.layers[0];
  if (!config.hasSection("Definition")) {
    const read = config.files.length > 1 ? ` (read ${config.files.join(", ")})` : "";
    throw new ConfigError(`no [Definition] section: not a filter or action definition${read}`, { file });
  }
  const args = toValues(request.args, "<arguments>");
  const callerVars: Record<string, ConfigValue> = { ...toValues(request.callerOptions, "<caller>"), ...args };
  const callerNames = new Set(Object.keys(callerVars));

  const values = new Map<string, string>();
  const origins = new Map<string, ConfigValue>();
  for (const name of request.knownOptions) {
    if (callerNames.has(name)) continue;
    const raw = config.raw("Definition", name, {});
    const value = config.get("Definition", name, callerVars);
    if (value === undefined || raw === undefined) continue;
    values.set(name, value);
    origins.set(name, raw);
  }

  const init = new Map<string, ConfigValue>(Object.entries(args));
  const initValues = new Map<string, string>(Object.entries(args).map(([name, value]) => [name, value.value]));
  if (config.hasSection("Init")) {
    for (const name of config.options("Init")) {
      const raw = config.raw("Init", name)!;
      const value = config.get("Init", name)!;
      if (!name.startsWith("known/")) {
        initValues.set(`known/${name}`, value);
        init.set(`known/${name}`, raw);
      }
      if (!initValues.has(name)) {
        // fail2ban 1.1.1: a conditional option (`blocktype?family=inet6`, from [Init?family=inet6]) not given itself
        // takes the value given for its base option, so that `blocktype=DROP` applies to both families
        const base = CONDITIONAL_OPTION.exec(name)?.[1];
        const given = base !== undefined ? callerVars[base] : undefined;
        initValues.set(name, given ? given.value : value);
        init.set(name, given ?? raw);
      }
    }
  }
  if (request.allDefinitionOptions) {
    for (const name of config.options("Definition")) {
      if (values.has(name)) continue;
      values.set(name, config.get("Definition", name)!);
      origins.set(name, config.raw("Definition", name)!);
    }
  }
  for (const [name, value] of initValues) {
    values.set(name, value);
    origins.set(name, init.get(name)!);
  }

  const ignore = new Set(request.ignoreTags ?? []);
  for (const name of values.keys()) {
    const conditional = CONDITIONAL_OPTION.exec(name);
    if (conditional) ignore.add(conditional[1]!);
  }
  const fallbackCache = new Map<string, string | undefined>();
  const fallback = (tag: string): string | undefined => {
    if (!fallbackCache.has(tag)) fallbackCache.set(tag, config.getEx("Definition", tag, callerVars));
    return fallbackCache.get(tag);
  };
  try {
    return { values: substituteTags(values, { ignore, fallback }), combined: values, origins };
  } catch (error) {
    if (!(error instanceof TagRecursionError)) throw error;
    const where = origins.get(error.tag);
    throw new ConfigError(
      error.message,
      { file: where?.file ?? file, line: where?.line, option: error.tag },
      {
        cause: error,
      },
    );
  }
}

function toValues(
  values: Readonly<Record<string, string | ConfigValue>> | undefined,
  label: string,
): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {};
  if (values) {
    for (const [name, value] of Object.entries(values)) {
      out[name] = typeof value === "string" ? { value, file: label } : value;
    }
  }
  return out;
}

// Turns the FILTER (and IGNOREREGEX) arguments of `cloudjail regex` into a filter spec: a filter name in the config
// tree (with arguments), a .conf file, or a literal regex, like fail2ban-regex.
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { parseOptionSpec } from "../../shared/config/option-spec.js";
import { filterSpecFromDefinition } from "../../shared/filter/filter-spec.js";
import type { FilterSpec } from "../../shared/filter/log-filter.js";

/** The resolved filter with where it came from, as fail2ban-regex's report says it (`Use ...` lines). */
export interface ResolvedFilter {
  readonly spec: FilterSpec;
  readonly description: readonly string[];
  /** The filter file's `journalmatch` lines, if it has any. */
  readonly journalmatch?: readonly string[];
}

/** fail2ban-regex's shortstr: texts longer than 53 characters cut to 50 and `...`. */
export function shortText(text: string): string {
  return text.length > 53 ? `${text.slice(0, 50)}...` : text;
}

/** Python's repr of a str (quotes as Python picks them), for fail2ban-regex's `filter options : {...}` line. */
function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\t/g, "\\t");
  return `${quote}${quote === "'" ? escaped.replace(/'/g, "\\'") : escaped}${quote}`;
}

const FILTER_NAME = /^[A-Za-z0-9_.@-]+(?:\[.*\])?$/s;

function isConfFile(argument: string): boolean {
  return /\.(conf|local)$/.test(argument) && existsSync(argument) && statSync(argument).isFile();
}

/**
 * Resolves FILTER: `name` or `name[k=v, ...]` from `configDir/filter.d`, a path to a .conf file, or a literal
 * failregex. Options (datepattern, maxlines) given on the command line override the filter's. `backend` is the
 * log's (`systemd` for the journal: a filter's `logtype` then becomes `journal`, as in fail2ban-regex).
 */
export function resolveFilter(
  argument: string,
  configDir: string,
  overrides: { datepattern?: string | undefined; maxlines?: number | undefined },
  backend = "auto",
): ResolvedFilter {
  let spec: FilterSpec;
  let journalmatch: readonly string[] | undefined;
  const description: string[] = [];
  if (isConfFile(argument)) {
    const path = resolve(argument);
    const definition = loadFilterDefinition(dirname(dirname(path)), path, {}, { backend });
    spec = filterSpecFromDefinition(definition);
    journalmatch = definition.journalmatch;
    // fail2ban-regex names a file inside a filter.d/ by its tree, any other by its path as given
    description.push(
      basename(dirname(path)) === "filter.d"
        ? `Use   failregex filter file : ${basename(path).replace(/\.[^.]*$/, "")}, basedir: ${dirname(dirname(path))}`
        : `Use   failregex file : ${argument}`,
    );
  } else if (FILTER_NAME.test(argument)) {
    const definition = loadFilterDefinition(configDir, argument, {}, { backend });
    spec = filterSpecFromDefinition(definition);
    journalmatch = definition.journalmatch;
    const { name, options } = parseOptionSpec(argument);
    description.push(`Use   failregex filter file : ${name}, basedir: ${configDir}`);
    const entries = Object.entries(options);
    if (entries.length > 0) {
      description.push(`Use   filter options : {${entries.map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(", ")}}`);
    }
  } else {
    spec = { failregex: [argument], source: "command line" };
    description.push(`Use   failregex line : ${shortText(argument)}`);
  }
  return {
    spec: {
      ...spec,
      ...(overrides.datepattern !== undefined ? { datepattern: overrides.datepattern } : {}),
      ...(overrides.maxlines !== undefined ? { maxlines: overrides.maxlines } : {}),
    },
    description,
    ...(journalmatch !== undefined ? { journalmatch } : {}),
  };
}

/** Resolves IGNOREREGEX: a literal regex, or the ignoreregex of a filter given by name or file. */
export function resolveIgnoreRegex(argument: string, configDir: string): readonly string[] {
  if (isConfFile(argument)) {
    const path = resolve(argument);
    return filterSpecFromDefinition(loadFilterDefinition(dirname(dirname(path)), path)).ignoreregex ?? [];
  }
  if (FILTER_NAME.test(argument) && existsSync(join(configDir, "filter.d", `${argument.replace(/\[.*$/s, "")}.conf`))) {
    return filterSpecFromDefinition(loadFilterDefinition(configDir, argument)).ignoreregex ?? [];
  }
  return [argument];
}

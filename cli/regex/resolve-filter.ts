// Turns the FILTER (and IGNOREREGEX) arguments of `cloudjail regex` into a filter spec: a filter name in the config
// tree (with arguments), a .conf file, or a literal regex, like fail2ban-regex.
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { filterSpecFromDefinition } from "../../shared/filter/filter-spec.js";
import type { FilterSpec } from "../../shared/filter/log-filter.js";

/** The resolved filter with a description of where it came from, for the report. */
export interface ResolvedFilter {
  readonly spec: FilterSpec;
  readonly description: string;
}

const FILTER_NAME = /^[A-Za-z0-9_.@-]+(?:\[.*\])?$/s;

function isConfFile(argument: string): boolean {
  return /\.(conf|local)$/.test(argument) && existsSync(argument) && statSync(argument).isFile();
}

/**
 * Resolves FILTER: `name` or `name[k=v, ...]` from `configDir/filter.d`, a path to a .conf file, or a literal
 * failregex. Options (datepattern, maxlines) given on the command line override the filter's.
 */
export function resolveFilter(
  argument: string,
  configDir: string,
  overrides: { datepattern?: string | undefined; maxlines?: number | undefined },
): ResolvedFilter {
  let spec: FilterSpec;
  let description: string;
  if (isConfFile(argument)) {
    const path = resolve(argument);
    const definition = loadFilterDefinition(dirname(dirname(path)), path);
    spec = filterSpecFromDefinition(definition);
    description = `filter file : ${basename(path)}, basedir: ${dirname(dirname(path))}`;
  } else if (FILTER_NAME.test(argument)) {
    const definition = loadFilterDefinition(configDir, argument);
    spec = filterSpecFromDefinition(definition);
    description = `filter file : ${argument}, basedir: ${configDir}`;
  } else {
    spec = { failregex: [argument], source: "command line" };
    description = "failregex line : " + argument;
  }
  return {
    spec: {
      ...spec,
      ...(overrides.datepattern !== undefined ? { datepattern: overrides.datepattern } : {}),
      ...(overrides.maxlines !== undefined ? { maxlines: overrides.maxlines } : {}),
    },
    description,
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

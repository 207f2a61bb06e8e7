// From a resolved filter.d definition (shared/config) to what the engine runs.
import type { FilterDefinition } from "../config/filter-definition.js";
import { parseHostPosition } from "./host-placement.js";
import type { FilterSpec } from "./log-filter.js";

/** The engine's view of a filter definition: its regexes, dates and buffer size, labelled by its first file. */
export function filterSpecFromDefinition(definition: FilterDefinition): FilterSpec {
  return {
    failregex: definition.failregex.map((entry) => entry.pattern),
    ignoreregex: definition.ignoreregex.map((entry) => entry.pattern),
    ...(definition.prefregex !== undefined ? { prefregex: definition.prefregex } : {}),
    ...(definition.datepattern !== undefined ? { datepattern: definition.datepattern } : {}),
    ...(definition.maxlines !== undefined ? { maxlines: definition.maxlines } : {}),
    ...(definition.hostposition !== undefined
      ? { hostposition: parseHostPosition(definition.hostposition, { file: definition.file, section: "Definition" }) }
      : {}),
    source: definition.file,
  };
}

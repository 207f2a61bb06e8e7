// Public surface of the fail2ban-dialect configuration reader.
export { layerFiles, loadConfig, loadConfigFiles } from "./config-loader.js";
export type { ConfigValue, SectionValues } from "./config-value.js";
export { type DefinitionRequest, type ResolvedDefinition, resolveDefinitionOptions } from "./definition-options.js";
export {
  FILTER_OPTIONS,
  type FilterDefinition,
  type FilterLoadOptions,
  type FilterRegex,
  loadFilterDefinition,
} from "./filter-definition.js";
export { DEFAULT_SECTION, type ParsedIniFile, parseIni } from "./ini-parser.js";
export { interpolate, MAX_INTERPOLATION_DEPTH } from "./interpolation.js";
export { type ConfigVars, KNOWN_PREFIX, LayeredConfig } from "./layered-config.js";
export { type OptionSpec, parseOptionSpec, parseOptionSpecList, splitOptionSpecs } from "./option-spec.js";
export { MAX_TAG_REPLACE_COUNT, replaceTags, substituteTags, type TagOptions, TagRecursionError } from "./tags.js";

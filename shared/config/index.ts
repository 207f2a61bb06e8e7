/**
 * fail2ban's configuration dialect, read the way fail2ban 1.0 reads it.
 *
 * Layers, from the bottom up:
 * - {@link parseIni}: one file (ConfigParser syntax as fail2ban sets it up), every value with its file and lines.
 * - {@link loadConfig} / {@link loadConfigFiles}: a named configuration (`jail`, `filter.d/sshd`, `action.d/x`)
 *   from its layer files and `[INCLUDES]`, merged into a {@link LayeredConfig}: `get` (with `%(...)s`), `raw`
 *   (value + file/line), `known`, `getEx`, `options`, `sections`, `mergeDefaults`, `mergeSection`.
 * - {@link resolveDefinitionOptions}: a filter.d or action.d file's [Definition] + [Init] + arguments, `<tag>`s
 *   substituted; {@link substituteTags} and {@link replaceTags} are the tag engine on their own.
 * - {@link parseOptionSpec} / {@link parseOptionSpecList}: `name[k=v, ...]` references (`filter =`, `action =`).
 * - {@link loadFilterDefinition}: a ready-to-use filter.
 *
 * A jail reader does what fail2ban's JailReader does: `loadConfig(dir, "jail")`, `mergeDefaults({fail2ban_version,
 * fail2ban_confpath})`, read the jail's `enabled`/`backend`/`filter`; resolve the filter with
 * `resolveDefinitionOptions({..., callerOptions: jailOptions, allDefinitionOptions: true})` and
 * `mergeSection(jail, values, "known/")`; then read the other options with `get(jail, name)`, and each
 * `parseOptionSpecList(get(jail, "action"))` entry through an action reader. An action reader passes `name` (default:
 * the jail's name) and `actname` as arguments, `knownOptions` = the action commands, `ignoreTags` = the per-ban tags
 * (`matches`, `ipmatches`, `ipjailmatches`, `timeout`, `bantime`). Like fail2ban, it then substitutes in two steps:
 * `replaceTags(command, configValues, {conditional})` (recursive; `conditional: "family=inet6"` for IPv6), and at ban
 * time `replaceTags(thatResult, banValues, {recursive: false, escapedTags, escape})`, so no text taken from a log is
 * ever scanned for tags.
 */
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
export {
  MAX_TAG_REPLACE_COUNT,
  MAX_TAG_VALUE_LENGTH,
  replaceTags,
  substituteTags,
  type TagOptions,
  TagRecursionError,
} from "./tags.js";

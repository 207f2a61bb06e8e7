/**
 * One option value as written in a configuration file, with where it came from. `lines` holds the file line of
 * each line of `value` (continuation lines included), so a multi-line value such as `failregex` can point every
 * regex at its own line.
 */
export interface ConfigValue {
  readonly value: string;
  /** File the value was read from, or a label such as `<arguments>` for values given by a program. */
  readonly file?: string;
  /** Line of the option name (1-based). */
  readonly line?: number;
  /** File line of each `\n`-separated line of `value`; same length as `value.split("\n")` when known. */
  readonly lines?: readonly number[];
}

/** Options of one section, keyed by lower-cased option name, in the order they were first defined. */
export type SectionValues = Map<string, ConfigValue>;

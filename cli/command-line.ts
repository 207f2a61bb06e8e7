// What the sub-commands share when they read their arguments: node's strict parser with errors as UsageError, and
// the options several commands take (--now).
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./usage-error.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` strictly (unknown options are errors); errors become UsageError prefixed with the command. */
export function parseCommandLine<T extends Options>(command: string, argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

/** Reads `--now ISO-8601` as epoch seconds; undefined when not given. */
export function parseNowOption(command: string, value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(ms)) {
    throw new UsageError(
      `${command}: --now must be an ISO-8601 date and time, e.g. 2005-08-14T12:00:00+02:00; got '${value}'`,
    );
  }
  return ms / 1000;
}

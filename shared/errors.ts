/**
 * Base class of every error cloudjail raises on purpose. Subclasses set `name` and carry the context a user needs
 * to fix the problem (file, line, option, position); `cause` keeps the underlying error.
 *
 * @example
 * throw new ConfigError("maxretry must be a whole number", { file: "jail.local", line: 12, option: "maxretry" });
 */
export class CloudjailError extends Error {
  override name = "CloudjailError";
}

/** Where in a configuration file a problem was found. */
export interface ConfigLocation {
  readonly file?: string;
  readonly line?: number;
  readonly section?: string;
  readonly option?: string;
}

/** Formats a location as `file:line [section] option`, leaving out what is unknown. */
export function formatLocation(where: ConfigLocation): string {
  const parts: string[] = [];
  if (where.file) parts.push(where.line ? `${where.file}:${where.line}` : where.file);
  if (where.section) parts.push(`[${where.section}]`);
  if (where.option) parts.push(where.option);
  return parts.join(" ");
}

/** A configuration file or value is wrong; the message starts with where. */
export class ConfigError extends CloudjailError {
  override name = "ConfigError";
  constructor(
    readonly reason: string,
    readonly where: ConfigLocation = {},
    options?: ErrorOptions,
  ) {
    const at = formatLocation(where);
    super(at ? `${at}: ${reason}` : reason, options);
  }
}

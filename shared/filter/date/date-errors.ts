import { CloudjailError } from "../../errors.js";

/**
 * A `datepattern` cannot be used: an unknown `%` code, a stray `%`, a duplicate template or a regular expression
 * that does not compile. `index` is the position in `pattern` of the offending text (0-based).
 *
 * @example
 * new DatePatternError("unknown % code", "%Y-%q", 3) // message: unknown % code at position 3 in "%Y-%q"
 */
export class DatePatternError extends CloudjailError {
  override name = "DatePatternError";
  constructor(
    readonly reason: string,
    readonly pattern: string,
    readonly index: number,
    options?: ErrorOptions,
  ) {
    super(`${reason} at position ${index} in datepattern ${JSON.stringify(pattern)}`, options);
  }
}

/** A `logtimezone` or time zone name is neither a fixed offset fail2ban knows (UTC+0200, CEST) nor an IANA zone. */
export class DateTimeZoneError extends CloudjailError {
  override name = "DateTimeZoneError";
  constructor(
    readonly zone: string,
    options?: ErrorOptions,
  ) {
    super(
      `unknown or unsupported time zone ${JSON.stringify(zone)}: use an offset such as UTC+0200, an abbreviation ` +
        `such as CEST, or an IANA name such as Europe/Paris`,
      options,
    );
  }
}

// What the filter engine reports: failures, in fail2ban's vocabulary.

/** Captured values of a failure: named groups (user, port, fid, mlfid, ...) and, for sessions, the users seen. */
export type FailureFields = Record<string, string | readonly string[] | undefined>;

/**
 * A failure found in a log line (or in a multi-line buffer ending at that line).
 * `id` is what the jail counts and bans: the canonical IP address when the filter captured one, or the failure id
 * (`<F-ID>`) or host name otherwise. `ip` is set when a failure id and a separate address were both captured.
 */
export interface Failure {
  /** Index of the failregex that matched, in the filter's order. */
  readonly regexIndex: number;
  /** Failure id: canonical IP text, `<F-ID>` value or DNS name. */
  readonly id: string;
  /** Whether `id` is a DNS name that still needs resolving (never the case with raw hosts). */
  readonly isHostName: boolean;
  /** The address captured beside a distinct failure id, canonical. */
  readonly ip?: string;
  /**
   * The host the filter captured (`<HOST>`, `<ADDR>`, `<IP4>`, `<IP6>`, `<DNS>`), for people to read: with raw hosts
   * (fail2ban-regex --raw) the text as the log wrote it (`2001:DB8::1`), otherwise its canonical form (`2001:db8::1`),
   * or the name when it is a host name. Unset when the failure is known by its `<F-ID>` alone.
   */
  readonly host?: string;
  /** Epoch seconds of the failure (the line's own date), or undefined when the line carried none. */
  readonly time: number | undefined;
  /** The log lines that make up this failure (dates kept), oldest first. */
  readonly matches: readonly string[];
  /** Every captured group, merged like fail2ban merges them (ALT_, TUPLE_, session data). */
  readonly fields: FailureFields;
  /** A multi-line session reported a non-failure (F-NOFAIL / F-MLFGAINED): counted by nobody, shown by tools. */
  readonly nofail: boolean;
}

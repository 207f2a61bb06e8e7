/** A failure found by a filter, as the jail logic receives it (times are log times, epoch seconds). */
export interface Failure {
  readonly jail: string;
  /** The address that failed (any spelling; normalised before use). */
  readonly ip: string;
  /** Failure id when the filter sets one (`<F-ID>`); defaults to the address. */
  readonly fid?: string;
  readonly time: number;
  /** Id of the log event (CloudWatch event id, file offset): the same id is counted once. */
  readonly eventId?: string;
  /** The matched log line, kept (truncated) for alerts. */
  readonly line?: string;
}

/** A decision to ban: what `cloudjail replay` prints and what enforcement applies. */
export interface BanDecision {
  readonly kind: "ban";
  /** Ban start (the failure that completed the count), epoch seconds. */
  readonly time: number;
  readonly jail: string;
  readonly ip: string;
  readonly fid: string;
  /** Failures counted in the window that led to the ban. */
  readonly failures: number;
  /** Ban length in seconds after increments; negative when permanent. */
  readonly banTime: number;
  /** End of the ban, epoch seconds; null when permanent. */
  readonly banUntil: number | null;
  readonly permanent: boolean;
  /** 1 for the first ban of this address in this jail (or in all jails with overalljails), then 2, 3, ... */
  readonly banCount: number;
  readonly matches: readonly string[];
}

/** A decision to lift a ban: its time ran out, or an operator lifted it. */
export interface UnbanDecision {
  readonly kind: "unban";
  readonly time: number;
  readonly jail: string;
  readonly ip: string;
  readonly fid: string;
  readonly banCount: number;
  readonly reason: "expired" | "manual";
}

/** Any decision, in the order the jail makes them. */
export type Decision = BanDecision | UnbanDecision;

/**
 * What happened to one failure. Only `counted`, `ban` and `expired-ban` wrote to the store (one write each);
 * the others cost no write at all.
 */
export type FailureOutcome =
  /** The address is in the jail's ignore list. */
  | { readonly kind: "ignored" }
  /** Older than findtime at the time of processing: it cannot contribute to a ban any more. */
  | { readonly kind: "obsolete" }
  /** This event id was already counted (a redelivered batch). */
  | { readonly kind: "duplicate" }
  /** The address was banned in this jail at the failure's time (or the failure precedes its last ban). */
  | { readonly kind: "banned" }
  /** Counted; `failures` is the weighted count now, below maxretry. */
  | { readonly kind: "counted"; readonly failures: number }
  /** Counted, and the count reached maxretry. */
  | { readonly kind: "ban"; readonly ban: BanDecision }
  /** The count reached maxretry but the ban would already be over (late logs): fail2ban's "ignore old bantime". */
  | { readonly kind: "expired-ban" };

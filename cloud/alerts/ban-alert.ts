// Ban alerts as fail2ban's mail-whois-lines action writes them (jail, address, failures, first and last failure,
// the matched lines, ban end), minus the whois lookup: a Lambda should not talk to whois servers about attackers.
// The matched lines are attacker-controlled text: control characters, bidirectional overrides and invisible
// (zero-width) characters are made visible and lines are bounded, so a log line cannot forge headers, fill a mailbox,
// hide content or make the address read as another one ("Trojan Source").

/** What an alert says about one ban. */
export interface BanAlert {
  readonly jail: string;
  readonly ip: string;
  /** Attempts that led to the ban. */
  readonly failures: number;
  /** Epoch seconds of the first and last counted failure, when known. */
  readonly firstFailure?: number;
  readonly lastFailure?: number;
  /** Ban start, epoch seconds. */
  readonly bannedAt: number;
  /** Ban end, epoch seconds; null for a permanent ban. */
  readonly until: number | null;
  /** The matched log lines (attacker-controlled). */
  readonly matches: readonly string[];
  /** Targets that already carry the ban, and those still to be retried. */
  readonly enforcedIn?: readonly string[];
  readonly pendingIn?: readonly string[];
}

/** An SNS message: Subject (under 100 printable ASCII characters, one line) and body. */
export interface AlertMessage {
  readonly subject: string;
  readonly body: string;
}

/** Limits on what the attacker-controlled part of a message may take. */
export interface AlertLimits {
  /** Matched lines shown per ban (the newest). @default 10 */
  readonly maxLines?: number;
  /** Characters kept per line. @default 500 */
  readonly maxLineLength?: number;
}

/** Longest SNS Subject: SNS wants "less than 100 characters". */
export const SNS_SUBJECT_MAX = 99;

/** Formats epoch seconds as an ISO 8601 UTC time. */
export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * Characters that change how a line reads without being seen: C0/C1 controls, line and paragraph separators, the
 * bidirectional embeddings, overrides, isolates and marks, and the zero-width and invisible formatting characters.
 */
const HIDDEN =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;

/** Makes one log line safe to show: hidden characters escaped as \uXXXX, length bounded. */
export function sanitizeLine(line: string, maxLength = 500): string {
  const visible = line
    .replace(HIDDEN, (char) => {
      return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
    })
    .replace(/[\n\t]/g, (char) => (char === "\n" ? "\\n" : "\\t"));
  return visible.length > maxLength
    ? `${visible.slice(0, maxLength)}… (${visible.length - maxLength} more characters)`
    : visible;
}

/** Makes a text a valid SNS Subject: printable ASCII, one line, under 100 characters. */
export function snsSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, "?");
  return ascii.length > SNS_SUBJECT_MAX ? `${ascii.slice(0, SNS_SUBJECT_MAX - 3)}...` : ascii;
}

function banEnd(alert: BanAlert): string {
  return alert.until === null ? "never (permanent ban)" : isoTime(alert.until);
}

/** The detail block of one ban, shared by single alerts and digests. */
export function banDetails(alert: BanAlert, limits: AlertLimits = {}): string[] {
  const maxLines = limits.maxLines ?? 10;
  const shown = alert.matches.slice(-maxLines);
  const lines = [
    `Jail:          ${alert.jail}`,
    `Address:       ${alert.ip}`,
    `Failures:      ${alert.failures}`,
    `First failure: ${alert.firstFailure === undefined ? "unknown" : isoTime(alert.firstFailure)}`,
    `Last failure:  ${alert.lastFailure === undefined ? "unknown" : isoTime(alert.lastFailure)}`,
    `Banned at:     ${isoTime(alert.bannedAt)}`,
    `Ban ends:      ${banEnd(alert)}`,
  ];
  if (alert.enforcedIn?.length) lines.push(`Enforced in:   ${alert.enforcedIn.join(", ")}`);
  if (alert.pendingIn?.length) lines.push(`Pending in:    ${alert.pendingIn.join(", ")} (retried every minute)`);
  const omitted = alert.matches.length - shown.length;
  lines.push(
    "",
    `Lines containing failures of ${alert.ip}${omitted > 0 ? ` (last ${shown.length}, ${omitted} more not shown)` : ""}:`,
  );
  for (const match of shown) lines.push(`  ${sanitizeLine(match, limits.maxLineLength)}`);
  if (shown.length === 0) lines.push("  (none recorded)");
  return lines;
}

/** The message for a single ban. */
export function formatBanMessage(alert: BanAlert, stack: string, limits: AlertLimits = {}): AlertMessage {
  const body = [
    `The address ${alert.ip} has just been banned by cloudjail (${stack}) after ${alert.failures} attempts against ${alert.jail}.`,
    "",
    ...banDetails(alert, limits),
    "",
    "Unban with: cloudjail cloud unban " + alert.ip + " --jail " + alert.jail,
  ].join("\n");
  return { subject: snsSubject(`[cloudjail] ${alert.jail}: banned ${alert.ip} (${stack})`), body };
}

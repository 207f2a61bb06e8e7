// A burst of bans (a scan, a botnet) must not become a mail flood: the bans of one minute go out as one digest.
import {
  type AlertLimits,
  type AlertMessage,
  type BanAlert,
  banDetails,
  formatBanMessage,
  isoTime,
  snsSubject,
} from "./ban-alert.js";

/** SNS's message size limit is 256 KiB; stay below it with room for the envelope. */
export const SNS_BODY_BUDGET = 240 * 1024;

/** The minute (epoch seconds, floored to 60) an alert belongs to. */
export function alertMinute(seconds: number): number {
  return Math.floor(seconds / 60) * 60;
}

/** Room kept for the details' closing line when the addresses alone fill the budget. */
const CLOSING_ROOM = 1024;

/**
 * One digest of a burst of bans (sorted by jail then address): every address as long as the list fits in the SNS
 * size budget (a few thousand; the rest counted, pointing at `cloudjail cloud banned`), then the details of as many
 * bans as still fit. A burst too large for one message must still make one message SNS takes: a rejected digest
 * would stay in the outbox and be retried for ever.
 */
export function formatDigest(alerts: readonly BanAlert[], stack: string, limits: AlertLimits = {}): AlertMessage {
  const sorted = [...alerts].sort((a, b) => a.jail.localeCompare(b.jail) || a.ip.localeCompare(b.ip));
  const jails = [...new Set(sorted.map((alert) => alert.jail))];
  // not Math.min(...all): a burst can hold more bans than a call takes arguments
  const first = sorted.reduce((min, alert) => Math.min(min, alert.bannedAt), Number.POSITIVE_INFINITY);
  const last = sorted.reduce((max, alert) => Math.max(max, alert.bannedAt), Number.NEGATIVE_INFINITY);
  const lines = [
    `cloudjail (${stack}) banned ${sorted.length} addresses between ${isoTime(first)} and ${isoTime(last)}.`,
    "",
  ];
  let size = Buffer.byteLength(lines.join("\n"));
  let listed = 0;
  for (const alert of sorted) {
    const line = `  ${alert.jail.padEnd(20)} ${alert.ip.padEnd(40)} ${alert.failures} failures`;
    const bytes = Buffer.byteLength(line) + 1;
    if (size + bytes > SNS_BODY_BUDGET - CLOSING_ROOM) break;
    lines.push(line);
    size += bytes;
    listed++;
  }
  if (listed < sorted.length) {
    lines.push(
      `  ... and ${sorted.length - listed} more (message size limit: \`cloudjail cloud banned\` lists them all)`,
    );
  }
  lines.push("");
  let body = lines.join("\n");
  size = Buffer.byteLength(body);
  let detailed = 0;
  for (const alert of sorted) {
    const block = `\n---\n${banDetails(alert, limits).join("\n")}\n`;
    const bytes = Buffer.byteLength(block);
    if (size + bytes > SNS_BODY_BUDGET - CLOSING_ROOM) break;
    body += block;
    size += bytes;
    detailed++;
  }
  if (detailed < sorted.length) body += `\n(${sorted.length - detailed} more bans not detailed: message size limit)\n`;
  return { subject: snsSubject(`[cloudjail] ${sorted.length} bans in ${jails.join(", ")} (${stack})`), body };
}

/** The messages for a set of new bans: one plain alert for a single ban, one digest per minute for more. */
export function planAlertMessages(
  alerts: readonly BanAlert[],
  stack: string,
  limits: AlertLimits = {},
): AlertMessage[] {
  const byMinute = new Map<number, BanAlert[]>();
  for (const alert of alerts) {
    const minute = alertMinute(alert.bannedAt);
    const group = byMinute.get(minute);
    if (group) group.push(alert);
    else byMinute.set(minute, [alert]);
  }
  return [...byMinute.keys()]
    .sort((a, b) => a - b)
    .map((minute) => {
      const group = byMinute.get(minute)!;
      return group.length === 1 ? formatBanMessage(group[0]!, stack, limits) : formatDigest(group, stack, limits);
    });
}

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

/**
 * One digest listing every ban of a burst (sorted by jail then address), with the details of as many bans as fit in
 * the SNS size budget; the rest are listed by address only.
 */
export function formatDigest(alerts: readonly BanAlert[], stack: string, limits: AlertLimits = {}): AlertMessage {
  const sorted = [...alerts].sort((a, b) => a.jail.localeCompare(b.jail) || a.ip.localeCompare(b.ip));
  const jails = [...new Set(sorted.map((alert) => alert.jail))];
  const times = sorted.map((alert) => alert.bannedAt);
  const header = [
    `cloudjail (${stack}) banned ${sorted.length} addresses between ${isoTime(Math.min(...times))} and ${isoTime(Math.max(...times))}.`,
    "",
    ...sorted.map((alert) => `  ${alert.jail.padEnd(20)} ${alert.ip.padEnd(40)} ${alert.failures} failures`),
    "",
  ];
  let body = header.join("\n");
  let detailed = 0;
  for (const alert of sorted) {
    const block = `\n---\n${banDetails(alert, limits).join("\n")}\n`;
    if (Buffer.byteLength(body + block) > SNS_BODY_BUDGET) break;
    body += block;
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
    byMinute.set(minute, [...(byMinute.get(minute) ?? []), alert]);
  }
  return [...byMinute.keys()]
    .sort((a, b) => a - b)
    .map((minute) => {
      const group = byMinute.get(minute)!;
      return group.length === 1 ? formatBanMessage(group[0]!, stack, limits) : formatDigest(group, stack, limits);
    });
}

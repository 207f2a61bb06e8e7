// How fail2ban-client prints bans, so that scripts reading its output read ours: Python reprs for `banned`, and
// `IP \tSTART + BANTIME = END` lines for `get JAIL banip --with-time`, to which we add the time left.
import type { ActiveBan } from "../../shared/jail/jail-runner.js";

/** A string as Python's repr() writes it (single quotes unless the text holds one and no double quote). */
export function pythonString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/\\/g, "\\\\").replace(new RegExp(quote, "g"), `\\${quote}`);
  return `${quote}${escaped}${quote}`;
}

/** A list of strings as Python's repr() writes it: `['a', 'b']`. */
export function pythonList(items: readonly string[]): string {
  return `[${items.map(pythonString).join(", ")}]`;
}

/** fail2ban's MyTime.time2str: local time `YYYY-MM-DD HH:MM:SS`. */
export function localTime(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  const pad = (value: number) => String(value).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** A duration as people read it: `1d 2h 3m 4s`, leading zero units left out; `0s` for nothing left. */
export function durationText(seconds: number): string {
  let rest = Math.max(0, Math.round(seconds));
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (rest >= size || parts.length > 0) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  parts.push(`${rest}s`);
  return parts.join(" ");
}

/** Bans ordered by their end (permanent ones last), as fail2ban-client orders `get JAIL banip`. */
export function byEndOfBan(bans: readonly ActiveBan[]): ActiveBan[] {
  return [...bans].sort((a, b) => (a.banUntil ?? Number.POSITIVE_INFINITY) - (b.banUntil ?? Number.POSITIVE_INFINITY));
}

/**
 * One line of `get JAIL banip --with-time`: fail2ban's `IP \tSTART + BANTIME = END`, then the time left in
 * parentheses. A permanent ban has bantime -1 and ends `never`.
 */
export function banLineWithTime(ban: ActiveBan, now: number): string {
  if (ban.banUntil === null) return `${ban.ip} \t${localTime(ban.time)} + -1 = never (permanent)`;
  const banTime = Math.round(ban.banUntil - ban.time);
  return `${ban.ip} \t${localTime(ban.time)} + ${banTime} = ${localTime(ban.banUntil)} (${durationText(
    ban.banUntil - now,
  )} left)`;
}

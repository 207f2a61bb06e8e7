// POSIX TZ rule strings such as "CET-01CEST-02,M3.5.0,M10.5.0" (what fail2ban's own tests run under). The C library
// understands them, but Intl does not: a process started with such a TZ would otherwise see UTC.

import { daysFromCivil, weekdayOfDays } from "./civil-date.js";

const DAY = 86_400;

/** When a transition happens: a day rule and the local time of day (seconds) it happens at. */
interface Transition {
  readonly kind: "month" | "julian1" | "julian0";
  readonly month: number;
  readonly week: number;
  readonly weekday: number;
  readonly day: number;
  readonly time: number;
}

/** A parsed POSIX TZ value: offsets in seconds east of UTC. */
export interface PosixZone {
  readonly standardOffset: number;
  readonly daylight?: { readonly offset: number; readonly start: Transition; readonly end: Transition };
}

const NAME = /^(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)/;
const OFFSET = /^[+-]?\d{1,3}(?::\d{1,2}){0,2}/;
const RULE = /^,(M\d{1,2}\.\d\.\d|J\d{1,3}|\d{1,3})(\/[+-]?\d{1,3}(?::\d{1,2}){0,2})?/;

function seconds(text: string): number {
  const negative = text.startsWith("-");
  const [h = "0", m = "0", s = "0"] = text.replace(/^[+-]/, "").split(":");
  const value = Number(h) * 3600 + Number(m) * 60 + Number(s);
  return negative ? -value : value;
}

function transition(rule: string, time: string | undefined): Transition {
  const at = time === undefined ? 7200 : seconds(time.slice(1));
  if (rule.startsWith("M")) {
    const [month, week, weekday] = rule.slice(1).split(".").map(Number) as [number, number, number];
    return { kind: "month", month, week, weekday, day: 0, time: at };
  }
  if (rule.startsWith("J"))
    return { kind: "julian1", month: 0, week: 0, weekday: 0, day: Number(rule.slice(1)), time: at };
  return { kind: "julian0", month: 0, week: 0, weekday: 0, day: Number(rule), time: at };
}

/**
 * Parses a POSIX TZ value (`std offset [dst [offset] [,start[/time],end[/time]]]`, offsets positive west of UTC);
 * returns undefined when `text` is not one. Without rules, daylight time follows the US rules, as in glibc.
 */
export function parsePosixZone(text: string): PosixZone | undefined {
  let rest = text;
  const std = NAME.exec(rest);
  if (!std) return undefined;
  rest = rest.slice(std[0].length);
  const stdOffset = OFFSET.exec(rest);
  if (!stdOffset) return undefined;
  rest = rest.slice(stdOffset[0].length);
  // "0 -" rather than unary minus: "UTC0" must give +0, not -0.
  const standardOffset = 0 - seconds(stdOffset[0]);
  if (rest === "") return { standardOffset };
  const dst = NAME.exec(rest);
  if (!dst) return undefined;
  rest = rest.slice(dst[0].length);
  let offset = standardOffset + 3600;
  const dstOffset = OFFSET.exec(rest);
  if (dstOffset) {
    offset = 0 - seconds(dstOffset[0]);
    rest = rest.slice(dstOffset[0].length);
  }
  if (rest === "") rest = ",M3.2.0,M11.1.0";
  const start = RULE.exec(rest);
  if (!start) return undefined;
  rest = rest.slice(start[0].length);
  const end = RULE.exec(rest);
  if (!end || rest.length !== end[0].length) return undefined;
  return {
    standardOffset,
    daylight: { offset, start: transition(start[1]!, start[2]), end: transition(end[1]!, end[2]) },
  };
}

/** Day number of a transition's day in `year`. */
function transitionDay(year: number, rule: Transition): number {
  const jan1 = daysFromCivil(year, 1, 1);
  if (rule.kind === "julian0") return jan1 + rule.day;
  if (rule.kind === "julian1") {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return jan1 + rule.day - 1 + (leap && rule.day >= 60 ? 1 : 0);
  }
  const first = daysFromCivil(year, rule.month, 1);
  // weekdayOfDays counts from Monday; POSIX weekdays count from Sunday.
  const firstWeekday = (weekdayOfDays(first) + 1) % 7;
  let day = first + ((rule.weekday - firstWeekday + 7) % 7) + (rule.week - 1) * 7;
  const nextMonth = rule.month === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, rule.month + 1, 1);
  while (day >= nextMonth) day -= 7;
  return day;
}

/** Offset in seconds east of UTC in force at `epoch` under a POSIX zone. */
export function posixOffsetAt(zone: PosixZone, epoch: number): number {
  const daylight = zone.daylight;
  if (!daylight) return zone.standardOffset;
  const year = new Date(epoch * 1000).getUTCFullYear();
  const start = transitionDay(year, daylight.start) * DAY + daylight.start.time - zone.standardOffset;
  const end = transitionDay(year, daylight.end) * DAY + daylight.end.time - daylight.offset;
  const inDaylight = start < end ? epoch >= start && epoch < end : epoch >= start || epoch < end;
  return inDaylight ? daylight.offset : zone.standardOffset;
}

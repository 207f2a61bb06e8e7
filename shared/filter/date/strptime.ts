// Turns the named groups of a date match (strptime field letters) into epoch seconds, following fail2ban's rules:
// a missing year is this year, or last year if that puts the date more than a day in the future; a missing date
// is today, or yesterday if the time is still to come; fractions of seconds are dropped; an offset in the line wins
// over the log's time zone, which wins over the local zone.

import { fixedOffsetMinutes } from "./zone-clock.js";

const MONTH_NAMES = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const DAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const SHORT_MONTHS = MONTH_NAMES.map((name) => name.slice(0, 3));
const SHORT_DAYS = DAY_NAMES.map((name) => name.slice(0, 3));
const DAY = 86_400;

/** What the conversion needs besides the fields. */
export interface StrptimeContext {
  /** "Now" on the local wall clock, in seconds since 1970-01-01 00:00 of that clock (fractional). */
  readonly nowWall: number;
  /** Offset in minutes of the log's fixed time zone (`logtimezone`), or null to read dates as local time. */
  readonly defaultOffset: number | null;
  /** Converts a local wall-clock time (seconds) to epoch seconds. */
  readonly wallToEpoch: (wall: number) => number;
}

/** Python's int() on a decimal string: surrounding blanks and a sign allowed; NaN when not a number. */
function pyInt(text: string): number {
  return /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(text) ? Number(text.replace(/_/g, "")) : Number.NaN;
}

/** Seconds since 1970 of a proleptic Gregorian date and time, for any year from 1 to 9999. */
function civilSeconds(year: number, month: number, day: number, seconds = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime() / 1000 + seconds;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function validDate(year: number, month: number, day: number): boolean {
  return (
    year >= 1 &&
    year <= 9999 &&
    month >= 1 &&
    month <= 12 &&
    Number.isInteger(day) &&
    day >= 1 &&
    day <= daysInMonth(year, month)
  );
}

/** Day of the year of a week number and weekday (Monday = 0), as Python's strptime computes it for %U and %W. */
function julianFromWeek(year: number, week: number, weekday: number, weekStartsMonday: boolean): number {
  let firstWeekday = (new Date(civilSeconds(year, 1, 1) * 1000).getUTCDay() + 6) % 7;
  let dayOfWeek = weekday;
  if (!weekStartsMonday) {
    firstWeekday = (firstWeekday + 1) % 7;
    dayOfWeek = (dayOfWeek + 1) % 7;
  }
  if (week === 0) return 1 + dayOfWeek - firstWeekday;
  return 1 + ((7 - firstWeekday) % 7) + 7 * (week - 1) + dayOfWeek;
}

/** Offset in minutes of a zone written in a log line, or undefined when fail2ban would reject it. */
function zoneOffset(text: string): number | undefined {
  if (text === "Z" || text === "UTC" || text === "GMT") return 0;
  return fixedOffsetMinutes(text);
}

/**
 * Converts the fields of a date match to epoch seconds (whole seconds, as fail2ban), or null when they do not form
 * a valid date (February 30, hour 24, an unknown zone abbreviation ...). `fields` maps strptime letters (`Y`, `b`,
 * `d`, `H` ...) to the matched text; other names are ignored, so are unset groups. Later fields win over earlier ones
 * for the same value, in the order of the groups in the pattern.
 */
export function strptimeToEpoch(
  fields: Readonly<Record<string, string | undefined>>,
  context: StrptimeContext,
): number | null {
  let year: number | undefined;
  let month: number | undefined;
  let day: number | undefined;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let offset: number | null = null;
  let weekday: number | undefined;
  let julian: number | undefined;
  let week: number | undefined;
  let weekStartsMonday = false;
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    switch (key) {
      case "y":
        year = pyInt(value);
        if (year <= 2000) year += 2000;
        break;
      case "Y":
        year = pyInt(value);
        break;
      case "m":
        month = pyInt(value);
        break;
      case "B":
        month = MONTH_NAMES.indexOf(value.toLowerCase()) + 1;
        if (month === 0) return null;
        break;
      case "b":
        month = SHORT_MONTHS.indexOf(value.toLowerCase()) + 1;
        if (month === 0) return null;
        break;
      case "d":
        day = pyInt(value);
        break;
      case "H":
        hour = pyInt(value);
        break;
      case "I": {
        hour = pyInt(value);
        const ampm = (fields["p"] ?? "").toLowerCase();
        if (ampm === "" || ampm === "am") {
          if (hour === 12) hour = 0;
        } else if (ampm === "pm" && hour !== 12) {
          hour += 12;
        }
        break;
      }
      case "M":
        minute = pyInt(value);
        break;
      case "S":
        second = pyInt(value);
        break;
      case "A":
        weekday = DAY_NAMES.indexOf(value.toLowerCase());
        if (weekday < 0) return null;
        break;
      case "a":
        weekday = SHORT_DAYS.indexOf(value.toLowerCase());
        if (weekday < 0) return null;
        break;
      case "w":
        weekday = pyInt(value) - 1;
        if (weekday < 0) weekday = 6;
        break;
      case "j":
        julian = pyInt(value);
        break;
      case "U":
      case "W":
        week = pyInt(value);
        weekStartsMonday = key === "W";
        break;
      case "z":
      case "Z": {
        const minutes = zoneOffset(value);
        if (minutes === undefined) return null;
        offset = minutes;
        break;
      }
    }
  }

  const now = new Date(context.nowWall * 1000);
  let assumeYear = false;
  if (year === undefined) {
    year = now.getUTCFullYear();
    assumeYear = true;
  }
  if (month === undefined || day === undefined) {
    if (julian === undefined && week !== undefined && weekday !== undefined) {
      julian = julianFromWeek(year, week, weekday, weekStartsMonday);
    }
    if (julian !== undefined) {
      if (Number.isNaN(julian)) return null;
      const date = new Date((civilSeconds(year, 1, 1) + (julian - 1) * DAY) * 1000);
      year = date.getUTCFullYear();
      month = date.getUTCMonth() + 1;
      day = date.getUTCDate();
    }
  }
  let assumeToday = false;
  if (month === undefined && day === undefined) {
    month = now.getUTCMonth() + 1;
    day = now.getUTCDate();
    assumeToday = true;
  }
  if (month === undefined || day === undefined || !validDate(year, month, day)) return null;
  if (!(hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59)) return null;

  let wall = civilSeconds(year, month, day, hour * 3600 + minute * 60 + second);
  if (offset === null) offset = context.defaultOffset;
  // With an offset, `wall` becomes UTC but is still compared with the local "now" below, as fail2ban does.
  if (offset !== null) wall -= offset * 60;
  if (assumeToday && wall > context.nowWall) wall -= DAY;
  if (assumeYear && wall > context.nowWall + DAY) {
    // Last year: fail2ban keeps the time of day of the shifted value but puts back the month and day read.
    if (!validDate(year - 1, month, day)) return null;
    const timeOfDay = ((wall % DAY) + DAY) % DAY;
    wall = civilSeconds(year - 1, month, day, timeOfDay);
  }
  return offset !== null ? wall : context.wallToEpoch(wall);
}

// Turns the named groups of a date match (strptime field letters) into epoch seconds, following fail2ban's rules:
// a missing year is this year, or last year if that puts the date more than a day in the future; a missing date
// is today, or yesterday if the time is still to come; fractions of seconds are dropped; an offset in the line wins
// over the log's time zone, which wins over the local zone.

import { civilFromDays, daysFromCivil, isValidDate, weekdayOfDays } from "./civil-date.js";
import { asciiDigits } from "./unicode-digits.js";
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
/** The usual spellings of the short month names ("Nov", "nov"), looked up before any case folding. */
const SHORT_MONTH_NUMBERS = new Map(
  SHORT_MONTHS.flatMap((name, i) => [
    [name, i + 1],
    [`${name[0]!.toUpperCase()}${name.slice(1)}`, i + 1],
  ]),
);
const SHORT_DAYS = DAY_NAMES.map((name) => name.slice(0, 3));
const DAY = 86_400;

/** What the conversion needs besides the fields. */
export interface StrptimeContext {
  /** "Now" on the local wall clock, in seconds since 1970-01-01 00:00 of that clock (fractional). */
  readonly nowWall: number;
  /** Offset in minutes of the log's fixed time zone (`logtimezone`), or null to read dates as local time. */
  readonly defaultOffset: number | null;
  /** Converts a local wall-clock time (seconds) to epoch seconds. */
  readonly clock: { toEpoch(wall: number): number };
}

/** Python's int() on a decimal string: surrounding blanks and a sign allowed; NaN when not a number. */
function pyInt(text: string): number {
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i) - 48;
    // Space-padded fields (" 3" for %d, %k) are common: skip blanks before the first digit.
    if (code === -16 && digits === 0) continue;
    if (code < 0 || code > 9) return slowPyInt(text);
    value = value * 10 + code;
    digits++;
  }
  return digits ? value : Number.NaN;
}

function slowPyInt(text: string): number {
  const ascii = asciiDigits(text);
  return /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(ascii) ? Number(ascii.replace(/_/g, "")) : Number.NaN;
}

/** Day of the year of a week number and weekday (Monday = 0), as Python's strptime computes it for %U and %W. */
function julianFromWeek(year: number, week: number, weekday: number, weekStartsMonday: boolean): number {
  let firstWeekday = weekdayOfDays(daysFromCivil(year, 1, 1));
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
 * a valid date (February 30, hour 24, an unknown zone abbreviation ...). `values[i]` is the text of the group named
 * `names[i]`; strptime letters (`Y`, `b`, `d`, `H` ...) are read, other names and unset groups are ignored. Later
 * fields win over earlier ones for the same value, in the order of the groups in the pattern.
 */
export function strptimeToEpoch(
  names: readonly string[],
  values: ArrayLike<string | undefined>,
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
  for (let i = 0; i < names.length; i++) {
    const key = names[i]!;
    const value = values[i];
    if (value === undefined || key.length !== 1) continue;
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
        month = SHORT_MONTH_NUMBERS.get(value) ?? SHORT_MONTHS.indexOf(value.toLowerCase()) + 1;
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
        const ampm = (values[names.indexOf("p")] ?? "").toLowerCase();
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

  // today's date, computed only when a field is missing (most dates have them all but the year)
  let today: readonly [number, number, number] | undefined;
  let assumeYear = false;
  if (year === undefined) {
    today = civilFromDays(Math.floor(context.nowWall / DAY));
    year = today[0];
    assumeYear = true;
  }
  if (month === undefined || day === undefined) {
    if (julian === undefined && week !== undefined && weekday !== undefined) {
      julian = julianFromWeek(year, week, weekday, weekStartsMonday);
    }
    if (julian !== undefined) {
      if (Number.isNaN(julian)) return null;
      [year, month, day] = civilFromDays(daysFromCivil(year, 1, 1) + julian - 1);
    }
  }
  let assumeToday = false;
  if (month === undefined && day === undefined) {
    today ??= civilFromDays(Math.floor(context.nowWall / DAY));
    month = today[1];
    day = today[2];
    assumeToday = true;
  }
  if (month === undefined || day === undefined || !isValidDate(year, month, day)) return null;
  if (!(hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59)) return null;

  let wall = daysFromCivil(year, month, day) * DAY + hour * 3600 + minute * 60 + second;
  if (offset === null) offset = context.defaultOffset;
  // With an offset, `wall` becomes UTC but is still compared with the local "now" below, as fail2ban does.
  if (offset !== null) wall -= offset * 60;
  if (assumeToday && wall > context.nowWall) wall -= DAY;
  if (assumeYear && wall > context.nowWall + DAY) {
    // Last year: fail2ban keeps the time of day of the shifted value but puts back the month and day read.
    if (!isValidDate(year - 1, month, day)) return null;
    const timeOfDay = ((wall % DAY) + DAY) % DAY;
    wall = daysFromCivil(year - 1, month, day) * DAY + timeOfDay;
  }
  return offset !== null ? wall : context.clock.toEpoch(wall);
}

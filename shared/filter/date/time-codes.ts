// The strptime-style `%` codes a fail2ban `datepattern` may use: the Python regular expression each one expands to
// and the word fail2ban-regex shows for it in a template name. The expansions are fail2ban's (strict enough to avoid
// reading a date out of random digits, loose enough for space-padded syslog days); the group names are the keys the
// strptime conversion (strptime.ts) reads.

const WEEKDAYS = "wednesday|thursday|saturday|tuesday|monday|friday|sunday";
const MONTHS = "september|february|november|december|january|october|august|march|april|june|july|may";
const SHORT_WEEKDAYS = "mon|tue|wed|thu|fri|sat|sun";
const SHORT_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec";
const TZ_ABBREVIATION = "[A-Z](?:[A-Z]{2,4})?";

/** One `%` code: its regular expression (Python syntax, named groups) and its display name. */
export interface TimeCode {
  readonly regex: string;
  readonly name: string;
}

/**
 * Builds the `%ExY` year expression: the decades from 2000 up to three years ahead of `year`, so that a four-digit
 * number such as a port or a process id is not read as a year. For 2026 this gives `20[012]\d`.
 */
export function exactYearRegex(year: number): string {
  const last = Math.max(200, Math.floor((year + 3) / 10));
  const byCentury = new Map<string, string[]>();
  for (let decade = 200; decade <= last; decade++) {
    const text = String(decade);
    const century = text.slice(0, -1);
    const list = byCentury.get(century) ?? [];
    list.push(text.slice(-1));
    byCentury.set(century, list);
  }
  const parts = [...byCentury].map(([century, digits]) =>
    digits.length === 1 ? `${century}${digits[0]}` : `${century}[${digits.join("")}]`,
  );
  const decades = parts.length === 1 ? parts[0] : `(?:${parts.join("|")})`;
  return `(?P<Y>${decades}\\d)`;
}

/** All codes, keyed by what follows the `%` (`d`, `ExY`, `%` ...). */
export const TIME_CODES: ReadonlyMap<string, TimeCode> = new Map<string, TimeCode>([
  ["a", { regex: `(?P<a>${SHORT_WEEKDAYS})`, name: "DAY" }],
  ["A", { regex: `(?P<A>${WEEKDAYS})`, name: "DAYNAME" }],
  ["b", { regex: `(?P<b>${SHORT_MONTHS})`, name: "MON" }],
  ["B", { regex: `(?P<B>${MONTHS})`, name: "MONTH" }],
  [
    "c",
    {
      regex:
        `(?P<a>${SHORT_WEEKDAYS})\\s+(?P<b>${SHORT_MONTHS})\\s+(?P<d>3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9])` +
        "\\s+(?P<H>2[0-3]|[0-1]\\d|\\d):(?P<M>[0-5]\\d|\\d):(?P<S>6[0-1]|[0-5]\\d|\\d)\\s+(?P<Y>\\d\\d\\d\\d)",
      name: "%c",
    },
  ],
  ["d", { regex: "(?P<d>[1-2]\\d|[0 ]?[1-9]|3[0-1])", name: "Day" }],
  ["f", { regex: "(?P<f>[0-9]{1,6})", name: "Microseconds" }],
  ["G", { regex: "(?P<G>\\d\\d\\d\\d)", name: "%G" }],
  ["H", { regex: "(?P<H>[0-1]?\\d|2[0-3])", name: "24hour" }],
  ["I", { regex: "(?P<I>1[0-2]|0[1-9]|[1-9])", name: "12hour" }],
  ["j", { regex: "(?P<j>36[0-6]|3[0-5]\\d|[1-2]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])", name: "Yearday" }],
  ["k", { regex: " ?(?P<H>[0-2]?\\d)", name: "%k" }],
  ["l", { regex: " ?(?P<I>1?\\d)", name: "%l" }],
  ["m", { regex: "(?P<m>0?[1-9]|1[0-2])", name: "Month" }],
  ["M", { regex: "(?P<M>[0-5]?\\d)", name: "Minute" }],
  ["p", { regex: "(?P<p>am|pm)", name: "AMPM" }],
  ["S", { regex: "(?P<S>[0-5]?\\d|6[0-1])", name: "Second" }],
  ["u", { regex: "(?P<u>[1-7])", name: "%u" }],
  ["U", { regex: "(?P<U>5[0-3]|[0-4]\\d|\\d)", name: "Yearweek" }],
  ["V", { regex: "(?P<V>5[0-3]|0[1-9]|[1-4]\\d|\\d)", name: "%V" }],
  ["w", { regex: "(?P<w>[0-6])", name: "Weekday" }],
  ["W", { regex: "(?P<W>5[0-3]|[0-4]\\d|\\d)", name: "Yearweek" }],
  [
    "x",
    {
      regex: "(?P<m>1[0-2]|0[1-9]|[1-9])/(?P<d>3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9])/(?P<y>\\d\\d)",
      name: "%x",
    },
  ],
  ["X", { regex: "(?P<H>2[0-3]|[0-1]\\d|\\d):(?P<M>[0-5]\\d|\\d):(?P<S>6[0-1]|[0-5]\\d|\\d)", name: "%X" }],
  ["y", { regex: "(?P<y>\\d\\d)", name: "Year2" }],
  ["Y", { regex: "(?P<Y>\\d{4})", name: "Year" }],
  // %z and %Z stay narrow because the alpha codes make whole templates case-insensitive: "error" must not be a zone.
  ["z", { regex: "(?P<z>Z|UTC|GMT|[+-][01]\\d(?::?\\d{2})?)", name: "Zone offset" }],
  ["Z", { regex: "(?P<Z>Z|[A-Z]{3,5})", name: "Zone name" }],
  ["%", { regex: "%", name: "%" }],
  ["ExZ", { regex: `(?P<Z>${TZ_ABBREVIATION})`, name: "ExZone name" }],
  [
    "Exz",
    { regex: `(?P<z>(?:${TZ_ABBREVIATION})?[+-][01]\\d(?::?\\d{2})?|${TZ_ABBREVIATION})`, name: "ExZone offset" },
  ],
  ["Exd", { regex: "(?P<d>[1-2]\\d|0[1-9]|3[0-1])", name: "ExDay" }],
  ["Exm", { regex: "(?P<m>0[1-9]|1[0-2])", name: "ExMonth" }],
  ["ExH", { regex: "(?P<H>[0-1]\\d|2[0-3])", name: "Ex24hour" }],
  ["Exk", { regex: " ?(?P<H>[0-1]?\\d|2[0-3])", name: "%Exk" }],
  ["Exl", { regex: " ?(?P<I>1[0-2]|\\d)", name: "%Exl" }],
  ["ExM", { regex: "(?P<M>[0-5]\\d)", name: "ExMinute" }],
  ["ExS", { regex: "(?P<S>[0-5]\\d|6[0-1])", name: "ExSecond" }],
  ["ExY", { regex: exactYearRegex(new Date().getFullYear()), name: "ExYear" }],
  ["Exy", { regex: "(?P<y>\\d{2})", name: "ExYear2" }],
]);

/**
 * Finds the `%` codes in a pattern, longest first: a three-letter `Ex..` code, or one letter, or `%%`. A `%`
 * followed by anything else is not a code (and makes the pattern invalid).
 */
export const TIME_CODE_RE = /%(ExZ|Exz|Exd|Exm|ExH|Exk|Exl|ExM|ExS|ExY|Exy|[aAbBcdfGHIjklmMpSuUVwWxXyYzZ%])/g;

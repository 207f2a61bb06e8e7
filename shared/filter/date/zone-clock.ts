import { DateTimeZoneError } from "./date-errors.js";
import { type PosixZone, parsePosixZone, posixOffsetAt } from "./posix-zone.js";
import { ZONE_ABBREVIATION_MINUTES } from "./zone-abbreviations.js";

const FIXED_OFFSET_RE = /^([A-Z](?:[A-Z]{2,4})?)?([+-][01]\d(?::?\d{2})?)?$/;

/**
 * Reads a fixed-offset zone the way fail2ban does (`UTC+0200`, `-04:00`, `+02`, `CEST`, `Z`, or an empty string for
 * UTC) and returns its offset in minutes east of UTC; undefined when the text is not such a zone.
 */
export function fixedOffsetMinutes(zone: string): number | undefined {
  const m = FIXED_OFFSET_RE.exec(zone);
  if (!m) return undefined;
  const base = ZONE_ABBREVIATION_MINUTES.get(m[1] ?? "") ?? (m[1] === undefined ? 0 : undefined);
  if (base === undefined) return undefined;
  const offset = m[2];
  if (offset === undefined) return base;
  const sign = offset[0] === "-" ? -1 : 1;
  const hours = Number(offset.slice(1, 3));
  if (offset.length <= 3) return base + sign * hours * 60;
  const minutes = Number(offset[3] === ":" ? offset.slice(4, 6) : offset.slice(3, 5));
  return base + sign * (hours * 60 + minutes);
}

const HOUR = 3600;
const FORMAT_OPTIONS: Intl.DateTimeFormatOptions = {
  hourCycle: "h23",
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
  era: "short",
};

/** Whether Intl knows `zone` (an IANA name such as Europe/Paris, or UTC). */
export function isIntlZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
const CACHE_LIMIT = 8192;
const MAYBE_POSIX_RULE = /\d/;

/**
 * The rules of one time zone (an IANA name, or the process's local zone) as offsets per instant, and the reverse
 * conversion of a wall-clock time. Offsets are cached per UTC hour because Intl is slow and the rules only change on
 * transitions; an hour holding a transition is computed exactly every time.
 */
export class ZoneClock {
  private readonly cache = new Map<number, number>();
  private readonly format: Intl.DateTimeFormat | undefined;
  private readonly posix: PosixZone | undefined;
  /** The hour looked up last and its offset: consecutive log lines mostly fall into the same hour. */
  private recentHour = Number.NaN;
  private recentOffset = 0;
  /** Offset found by the previous wall-clock conversion: resolves ambiguous times like glibc's mktime. */
  private lastOffset = 0;

  /**
   * `zone`: an IANA name or a POSIX TZ rule ("CET-01CEST-02,M3.5.0,M10.5.0"); undefined for the process's local
   * zone, which is the TZ environment variable read like the C library does when it holds a POSIX rule (V8 would
   * silently use UTC then). Throws DateTimeZoneError for an unknown zone.
   */
  constructor(readonly zone?: string) {
    if (zone === undefined) {
      const tz = process.env["TZ"]?.replace(/^:/, "");
      // Asking Intl costs 15-35 ms at the first call of a process (locale data), and servers mostly run with
      // TZ=UTC or a zone name: a POSIX rule always has a digit (its standard offset is required), so a value
      // without one is no rule and V8 reads it as the zone name it is.
      if (tz && MAYBE_POSIX_RULE.test(tz) && !isIntlZone(tz)) this.posix = parsePosixZone(tz);
      return;
    }
    if (isIntlZone(zone)) {
      this.format = new Intl.DateTimeFormat("en-US", { ...FORMAT_OPTIONS, timeZone: zone });
      return;
    }
    this.posix = parsePosixZone(zone);
    if (!this.posix) throw new DateTimeZoneError(zone);
  }

  /** Offset in seconds east of UTC in effect at `epoch` (seconds). */
  offsetAt(epoch: number): number {
    const hour = Math.floor(epoch / HOUR);
    if (hour === this.recentHour) return this.recentOffset;
    const cached = this.cache.get(hour);
    if (cached !== undefined) {
      this.recentHour = hour;
      this.recentOffset = cached;
      return cached;
    }
    const first = this.computeOffset(hour * HOUR);
    const last = this.computeOffset(hour * HOUR + HOUR - 1);
    if (first !== last) return this.computeOffset(Math.floor(epoch));
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(hour, first);
    return first;
  }

  /**
   * Whether the offset is the same, and no transition happens, in every hour from `seconds` before `epoch` to
   * `seconds` after it. With a margin of a day and more, a wall time converted to such an epoch has one reading only,
   * whatever offset the previous conversion found (see toEpoch).
   */
  isSteadyAround(epoch: number, seconds: number): boolean {
    const offset = this.offsetAt(epoch);
    const last = Math.floor((epoch + seconds) / HOUR);
    for (let hour = Math.floor((epoch - seconds) / HOUR); hour <= last; hour++) {
      // an hour is kept in the cache only when it holds no transition
      if (this.offsetAt(hour * HOUR) !== offset || this.cache.get(hour) !== offset) return false;
    }
    return true;
  }

  /**
   * Leaves the clock as a conversion of a time at a steady `offset` (see isSteadyAround) leaves it, for a caller that
   * remembered that conversion's result instead of asking again.
   */
  convertedAt(offset: number): void {
    this.lastOffset = offset;
  }

  /** The wall-clock time at `epoch`, as seconds since 1970-01-01 00:00 of that wall clock. */
  toWall(epoch: number): number {
    return epoch + this.offsetAt(epoch);
  }

  /**
   * The instant at which this zone's clock shows `wall` (seconds since 1970-01-01 00:00 of the wall clock), as
   * mktime with an unknown DST flag does: a time skipped by a spring-forward transition is read with the offset
   * before the transition (02:30 becomes 03:30 summer time); a time that occurs twice is read with the offset of the
   * previous conversion when it fits, which keeps consecutive log lines on the same side of the transition.
   */
  toEpoch(wall: number): number {
    const guess = this.lastOffset;
    const t = wall - guess;
    const actual = this.offsetAt(t);
    if (actual === guess) return t;
    const next = wall - actual;
    if (this.offsetAt(next) === actual) {
      this.lastOffset = actual;
      return next;
    }
    // A gap: each candidate points to the other side of the transition; use the offset in force before it.
    const result = wall - this.offsetAt(Math.min(t, next));
    this.lastOffset = this.offsetAt(result);
    return result;
  }

  private computeOffset(epoch: number): number {
    if (this.posix) return posixOffsetAt(this.posix, epoch);
    // (0 - x, not -x: UTC is +0, not -0)
    if (!this.format) return 0 - new Date(epoch * 1000).getTimezoneOffset() * 60;
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of this.format.formatToParts(epoch * 1000)) {
      switch (part.type) {
        case "year":
          year = Number(part.value);
          break;
        case "month":
          month = Number(part.value);
          break;
        case "day":
          day = Number(part.value);
          break;
        case "hour":
          hour = Number(part.value);
          break;
        case "minute":
          minute = Number(part.value);
          break;
        case "second":
          second = Number(part.value);
          break;
        case "era":
          bc = part.value.startsWith("B");
          break;
      }
    }
    const date = new Date(0);
    date.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
    date.setUTCHours(hour, minute, second, 0);
    return date.getTime() / 1000 - Math.floor(epoch);
  }
}

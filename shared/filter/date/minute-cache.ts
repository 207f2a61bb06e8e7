// The time of a written date, remembered per minute: a log repeats the same minute over many lines, and converting
// the fields (year inference, the zone's rules) costs more than finding them. Exact by construction: an entry holds
// the time of second 00 of a minute, and is made only when second 59 of it converts to exactly 59 seconds later, so
// that no zone transition, day change or year inference falls inside the minute (each is one step that moves with
// the time, so one that does not show between 00 and 59 does not happen between them either).
import type { DateTemplate, TemplateMatch } from "./date-template.js";
import { type StrptimeContext, strptimeToEpoch } from "./strptime.js";
import { ZoneClock } from "./zone-clock.js";

/** The seconds field's value as a number, when it is one or two ASCII digits in 0-59; else -1. */
function secondsOf(text: string | undefined): number {
  if (text === undefined || text.length === 0 || text.length > 2) return -1;
  const a = text.charCodeAt(0) - 48;
  if (a < 0 || a > 9) return -1;
  if (text.length === 1) return a;
  const b = text.charCodeAt(1) - 48;
  if (b < 0 || b > 9) return -1;
  const value = a * 10 + b;
  return value <= 59 ? value : -1;
}

interface Minute {
  /** The time of second 00. */
  readonly start: number;
  /** The zone's offset then, when the conversion asked the clock (no offset in the line or logtimezone); else NaN. */
  readonly clockOffset: number;
}

/** A minute whose seconds do not convert linearly, or too near a zone transition: its lines take the full path. */
const IRREGULAR: Minute = Object.freeze({ start: Number.NaN, clockOffset: Number.NaN });
/**
 * Hours around a remembered minute without any zone transition: more than the largest difference of two offsets,
 * so that its wall times have one reading only, whatever the clock's previous conversion found.
 */
const STEADY_SECONDS = 2 * 86_400;

/**
 * Converts strptime template matches to epoch seconds through the template's own conversion, remembering the last
 * minute seen: a log's lines come in time order, so a line mostly shares its minute with the line before, and
 * comparing a few short strings with that line's costs less than any lookup. A line of another minute is converted in
 * full; the minute itself is worked out when a second line of it comes. One per date detector: the minute holds for
 * one conversion context (one "now", one zone), and is forgotten when the context changes. Minutes are worked out on
 * a clock of their own (the detector's clock remembers its last offset, as mktime does, and must see only the
 * conversions the full path would make); a line of a remembered minute leaves the detector's clock as its conversion
 * would have.
 */
export class MinuteCache {
  private context: StrptimeContext | undefined;
  private template: DateTemplate | undefined;
  /** The field values of the last line converted in full (the minute's fields: all but the seconds). */
  private values: ReadonlyArray<string | undefined> = [];
  /** Its minute, once a second line of it came; undefined before. */
  private minute: Minute | undefined;
  private probeClock: ZoneClock | undefined;

  constructor(private readonly clock: ZoneClock) {}

  /** The time of `match` of `template`, or null when it is no valid date, as `template.toTime` gives it. */
  toTime(template: DateTemplate, line: string, match: TemplateMatch, context: StrptimeContext): number | null {
    const secondsAt = template.secondsIndex;
    if (secondsAt < 0) return template.toTime(line, match, context);
    const values = match.values;
    const seconds = secondsOf(values[secondsAt]);
    if (seconds < 0) return template.toTime(line, match, context);
    const names = template.fieldNames;
    if (context !== this.context || template !== this.template || !this.sameMinute(names, values, secondsAt)) {
      this.context = context;
      this.template = template;
      this.values = Array.from(values);
      this.minute = undefined;
      return template.toTime(line, match, context);
    }
    this.minute ??= this.workOut(names, values, secondsAt, context);
    const minute = this.minute;
    if (minute === IRREGULAR) return template.toTime(line, match, context);
    if (!Number.isNaN(minute.clockOffset)) this.clock.convertedAt(minute.clockOffset);
    return minute.start + seconds;
  }

  /** Whether the fields the conversion reads (one-letter names), the seconds aside, are the last line's. */
  private sameMinute(names: readonly string[], values: ArrayLike<string | undefined>, secondsAt: number): boolean {
    const last = this.values;
    for (let i = 0; i < names.length; i++) {
      if (i !== secondsAt && names[i]!.length === 1 && values[i] !== last[i]) return false;
    }
    return true;
  }

  /** The match's minute: seconds 00 and 59 converted on the probe clock, IRREGULAR unless 59 seconds apart. */
  private workOut(
    names: readonly string[],
    values: ArrayLike<string | undefined>,
    secondsAt: number,
    context: StrptimeContext,
  ): Minute {
    this.probeClock ??= new ZoneClock(this.clock.zone);
    const probe = this.probeClock;
    let asked = false;
    const probeContext: StrptimeContext = {
      nowWall: context.nowWall,
      defaultOffset: context.defaultOffset,
      clock: {
        toEpoch: (wall) => {
          asked = true;
          return probe.toEpoch(wall);
        },
      },
    };
    const copy = Array.from(values);
    copy[secondsAt] = "00";
    const first = strptimeToEpoch(names, copy, probeContext);
    copy[secondsAt] = "59";
    const last = strptimeToEpoch(names, copy, probeContext);
    if (first === null || last === null || last - first !== 59) return IRREGULAR;
    if (!asked) return { start: first, clockOffset: Number.NaN };
    return probe.isSteadyAround(first, STEADY_SECONDS)
      ? { start: first, clockOffset: probe.offsetAt(first) }
      : IRREGULAR;
  }
}

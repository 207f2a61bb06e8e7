import { DatePatternError, DateTimeZoneError } from "./date-errors.js";
import { TemplateFlags, unboundPattern } from "./date-pattern.js";
import type { DateTemplate, TemplateMatch } from "./date-template.js";
import { baseTemplates, builtInTemplate, defaultTemplates } from "./default-templates.js";
import { MinuteCache } from "./minute-cache.js";
import type { StrptimeContext } from "./strptime.js";
import { compiledTemplate } from "./template-cache.js";
import { patternKey, specForPattern } from "./template-specs.js";
import { fixedOffsetMinutes, isIntlZone, ZoneClock } from "./zone-clock.js";

/** A date found in a log line. */
export interface DateMatch {
  /** Epoch seconds (whole seconds for written dates, fractional for epochs). */
  readonly time: number;
  /**
   * The date's span in the line: group 1 of the winning template (fail2ban's `m.start(1)`/`m.end(1)`), which is the
   * text fail2ban cuts out of the line before applying failregexes. Boundary characters the template consumed
   * around the date (the up to two punctuation characters of a line-begin template, "[" of "[1234567890") are not
   * in it. An empty span (`start === end`) means the template matched but holds no date (`{NONE}`, `^WARNING:()**`):
   * `time` is then `now`, and fail2ban reuses the previous line's date if it is less than a minute old. Offsets are
   * JavaScript string indices (UTF-16 code units; Python counts code points, which differs only after astral
   * characters such as emoji).
   */
  readonly start: number;
  readonly end: number;
  /** Template name as fail2ban-regex shows it. */
  readonly template: string;
}

/** A template's match: a DateMatch, or with `time` null when the matched text is no valid date. */
export type FoundDate = Omit<DateMatch, "time"> & { readonly time: number | null };

/** Options of a DateDetector. */
export interface DateDetectorOptions {
  /** fail2ban `datepattern`: one pattern or several, one per line; default: fail2ban's default templates. */
  readonly datepattern?: string;
  /** fail2ban `logtimezone`: a fixed offset (UTC+0200, -04:00, CEST) or, beyond fail2ban, an IANA zone name. */
  readonly logtimezone?: string;
  /**
   * Zone of dates without offset when no logtimezone is set: an IANA name, or a POSIX TZ rule such as fail2ban's test
   * zone "CET-01CEST-02,M3.5.0,M10.5.0"; default: the process's local zone (the TZ variable, POSIX rules included).
   */
  readonly timeZone?: string;
}

interface Entry {
  readonly template: DateTemplate;
  hits: number;
  lastUsed: number;
  /** Position of the last match of this template in its line. */
  distance: number;
}

const NEVER = 0x7fffffff;
const ANCHORED = TemplateFlags.LINE_BEGIN | TemplateFlags.LINE_END;
/** Seconds after which a template that has not matched may be overtaken by a less used one. */
const UNUSED_TIME = 300;
/** Lines between two readings of the wall clock when "now" does not move (see wallClock). */
const CLOCK_READS = 256;
const ALNUM = /^[\p{L}\p{N}]$/u;
/** No character (out of the line). */
const NONE = -1;

function codeAt(line: string, index: number): number {
  return index >= 0 && index < line.length ? line.charCodeAt(index) : NONE;
}

/** Python's str.isalnum() for one character. */
function isAlnum(code: number): boolean {
  if (code < 128) return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  return ALNUM.test(String.fromCharCode(code));
}

const DATE_MARK = /(?<!\\)\{DATE\}/gi;

function entryWeight(entry: Entry): number {
  return (entry.hits * entry.template.weight) / Math.max(1, entry.distance);
}

/**
 * Finds and reads the date of log lines as fail2ban's DateDetector does: the same templates in the same order, the
 * same preference for the template that matched last (tried first, in the same place of the line when the text
 * around it looks alike) and the same reordering of the list by hits, so that the template chosen for a line, and
 * the hit counts `cloudjail regex` prints, are fail2ban's. Not safe to share between concurrent log streams that
 * need independent statistics: use one detector per filter.
 *
 * @example
 * const detector = new DateDetector({ timeZone: "Europe/Paris" });
 * detector.matchTime("Jan 23 21:59:59 host sshd[1]: ...", Date.UTC(2005, 1, 1) / 1000)
 * // { time: 1106513999, start: 0, end: 15, template: "{^LN-BEG}(?:DAY )?MON Day %k:Minute:Second(?:\\.Microseconds)?(?: ExYear)?" }
 */
export class DateDetector {
  private readonly entries: Entry[] = [];
  private readonly names = new Set<string>();
  private readonly localClock: ZoneClock;
  private readonly defaultOffset: number | null;
  private lastDistance = 1;
  // The characters around the last date (UTF-16 codes, NONE where the line has none): before it, its first, its
  // last, after it.
  private lastBefore = NONE;
  private lastAt = NONE;
  private lastAtAlnum = false;
  private lastEnd = NEVER;
  private lastEndChar = NONE;
  private lastEndAlnum = false;
  private lastAfter = NONE;
  private lastIndex = NEVER;
  private firstUnused = 0;
  /** The conversion context of the last `now` seen: the same for every line of a run with a fixed "now". */
  private strptimeNow = Number.NaN;
  private strptimeContext: StrptimeContext | undefined;
  private readonly minuteCache: MinuteCache;
  /** The wall clock for templates' lastUsed, read again when `now` changes and every CLOCK_READS lines. */
  private lastNow = Number.NaN;
  private clockNow = Number.NaN;
  private clockSeconds = 0;
  private clockReads = 0;

  /** Throws DatePatternError for a bad datepattern, DateTimeZoneError for an unknown zone. */
  constructor(options: DateDetectorOptions = {}) {
    const logZone = options.logtimezone?.trim();
    const fixed = logZone ? fixedOffsetMinutes(logZone) : undefined;
    this.defaultOffset = fixed ?? null;
    if (logZone && fixed === undefined) {
      // Not a POSIX rule here: "UTC+2" would read as two hours west of UTC, and fail2ban refuses it.
      if (!isIntlZone(logZone)) throw new DateTimeZoneError(logZone);
      this.localClock = new ZoneClock(logZone);
    } else {
      this.localClock = new ZoneClock(options.timeZone);
    }
    this.minuteCache = new MinuteCache(this.localClock);
    const patterns = (options.datepattern ?? "")
      .split(/\n+/)
      .map((line) => line.trim())
      .filter(Boolean);
    for (const pattern of patterns) this.appendPattern(pattern);
  }

  /**
   * Hits per template in the detector's current order (the order fail2ban-regex prints), zero hits included; empty
   * before the first line when the default templates are used (they are added on first use, as in fail2ban).
   */
  templateHits(): { template: string; hits: number }[] {
    return this.entries.map((entry) => ({ template: entry.template.name, hits: entry.hits }));
  }
  /**
   * What fail2ban-regex prints after a datepattern (Filter.getDatePattern): "Default Detectors" for none or the
   * default set, else the name of the first template.
   */
  describe(): string {
    const entries = this.entries;
    return entries.length === 0 || entries.length > 2 ? "Default Detectors" : entries[0]!.template.name;
  }

  /**
   * Finds the date in `line` and returns its time and span, or null when no template matches or the matched text is
   * no valid date (February 30, unknown zone ...). `now` (epoch seconds) completes dates without year or day.
   */
  matchTime(line: string, now: number): DateMatch | null {
    const found = this.findDate(line, now);
    return found && found.time !== null ? (found as DateMatch) : null;
  }

  /**
   * Like matchTime, but also reports a template match whose text is no valid date, with `time` null: fail2ban still
   * cuts that text out of the line (and takes the time from the previous line, if recent).
   */
  findDate(line: string, now: number): FoundDate | null {
    this.lastNow = now;
    const found = this.findTemplate(line);
    if (!found) return null;
    const [template, match] = found;
    const { dateStart: start, dateEnd: end } = match;
    if (start === end) return { time: now, start, end, template: template.name };
    if (now !== this.strptimeNow || !this.strptimeContext) {
      this.strptimeNow = now;
      this.strptimeContext = {
        nowWall: this.localClock.toWall(now),
        defaultOffset: this.defaultOffset,
        clock: this.localClock,
      };
    }
    const time = this.minuteCache.toTime(template, line, match, this.strptimeContext);
    return { time, start, end, template: template.name };
  }

  private append(template: DateTemplate, ignoreDuplicate: boolean, pattern: string): void {
    if (this.names.has(template.name)) {
      if (ignoreDuplicate) return;
      throw new DatePatternError(`a date template named ${JSON.stringify(template.name)} is already set`, pattern, 0);
    }
    this.names.add(template.name);
    this.entries.push({ template, hits: 0, lastUsed: 0, distance: NEVER });
  }

  private appendPattern(pattern: string): void {
    const key = patternKey(pattern);
    if (key === "{^LN-BEG}" || key === "{DEFAULT}") {
      const lineBeginOnly = key === "{^LN-BEG}";
      this.addDefaults((template) => !lineBeginOnly || (template.flags & TemplateFlags.LINE_BEGIN) !== 0);
    } else if (key.includes("{DATE}")) {
      const ignoreDuplicate = this.entries.length > 0;
      for (const template of baseTemplates()) {
        // fail2ban wraps the pattern of pattern templates, and the name of Epoch/TAI64N (which then match literally).
        const inner = unboundPattern(template.spec.pattern ?? template.name);
        const wrapped = pattern.replace(DATE_MARK, () => inner);
        this.append(compiledTemplate(specForPattern(wrapped)), ignoreDuplicate, pattern);
      }
    } else if (key === "{NONE}") {
      this.append(compiledTemplate(specForPattern("{UNB}^", "{UNB}^")), false, pattern);
    } else {
      const spec = specForPattern(pattern, key);
      // A pattern equal to a built-in template is that template (fail2ban shares it through its pattern cache,
      // including the weight of the line-begin copies).
      this.append(builtInTemplate(spec) ?? compiledTemplate(spec), false, pattern);
    }
  }

  private addDefaults(filter: (template: DateTemplate) => boolean = () => true): void {
    const ignoreDuplicate = this.entries.length > 0;
    for (const template of defaultTemplates()) {
      if (filter(template)) this.append(template, ignoreDuplicate, "{DEFAULT}");
    }
  }

  /** fail2ban's DateDetector.matchTime: the winning template and its match, updating hits and order. */
  private findTemplate(line: string): [DateTemplate, TemplateMatch] | null {
    if (!this.entries.length) this.addDefaults();
    const entries = this.entries;
    let match: TemplateMatch | null = null;
    let best: { match: TemplateMatch; index: number } | null = null;
    let skip = NEVER;
    let index = this.lastIndex;
    if (index < entries.length) {
      const template = entries[index]!.template;
      if (template.flags & ANCHORED) {
        match = template.search(line);
        skip = index;
      } else if (this.sameSurroundings(line)) {
        // The same date layout as last time: search only where the date was.
        match = template.search(line, this.lastDistance, this.lastEnd);
      } else {
        match = template.search(line);
        skip = index;
      }
      if (match) {
        const samePlace = match.start === this.lastDistance && match.end === this.lastEnd;
        if (!(entries.length === 1 || template.flags & ANCHORED || samePlace)) {
          // The date moved: maybe another template finds one earlier in the line.
          best = { match, index };
          match = null;
        }
      }
    }
    if (!match) {
      for (index = 0; index < entries.length; index++) {
        if (index === skip) continue;
        const entry = entries[index]!;
        match = entry.template.search(line);
        if (!match) continue;
        if (index + 1 >= entries.length) break;
        if (entry.template.flags & ANCHORED) break;
        if (match.start === 0 && entry.hits && !entries[index + 1]!.hits) break;
        if (match.start > entry.distance || match.start > this.lastDistance) {
          // Possibly a date-like text in the message body: remember it and look for one nearer the start.
          if (match.start < (best?.match.start ?? NEVER)) best = { match, index };
          match = null;
          continue;
        }
        break;
      }
      if (!match && best) {
        match = best.match;
        index = best.index;
      }
    }
    if (!match) return null;
    const entry = entries[index]!;
    entry.hits++;
    entry.lastUsed = this.wallClock();
    entry.distance = match.start;
    if (this.firstUnused === index) this.firstUnused++;
    this.lastDistance = match.start;
    this.lastBefore = match.start >= 1 ? codeAt(line, match.start - 1) : NONE;
    this.lastAt = codeAt(line, match.start);
    this.lastAtAlnum = isAlnum(this.lastAt);
    this.lastEnd = match.end;
    // Python's line[endpos - 1] wraps around to the last character when endpos is 0.
    this.lastEndChar = codeAt(line, match.end >= 1 ? match.end - 1 : line.length - 1);
    this.lastEndAlnum = isAlnum(this.lastEndChar);
    this.lastAfter = codeAt(line, match.end);
    if (index && index !== this.lastIndex) index = this.reorder(index);
    this.lastIndex = index;
    return [entry.template, match];
  }

  /**
   * The wall clock in seconds, as fail2ban stamps a template's last use. Reading it costs more than matching a date,
   * so it is read again only when the caller's `now` moves (a daemon passes the current time with every line) or
   * after CLOCK_READS lines (a replay passes one fixed "now"): templates go unused for minutes before it matters.
   */
  private wallClock(): number {
    if (this.lastNow !== this.clockNow || ++this.clockReads >= CLOCK_READS) {
      this.clockNow = this.lastNow;
      this.clockReads = 0;
      this.clockSeconds = Date.now() / 1000;
    }
    return this.clockSeconds;
  }

  /** Whether the characters around the last date's place are alike (equal outside, or equal non-alphanumeric inside). */
  private sameSurroundings(line: string): boolean {
    const start = this.lastDistance;
    const end = this.lastEnd;
    const left =
      (start >= 1 ? codeAt(line, start - 1) : NONE) === this.lastBefore ||
      (this.lastAt !== NONE && codeAt(line, start) === this.lastAt && !this.lastAtAlnum);
    if (!left) return false;
    return (
      codeAt(line, end) === this.lastAfter ||
      (this.lastEndChar !== NONE &&
        (end >= 1 ? codeAt(line, end - 1) : NONE) === this.lastEndChar &&
        !this.lastEndAlnum)
    );
  }

  /** Moves a template that just won up the list (fail2ban's bubble-up); returns its new index. */
  private reorder(index: number): number {
    const entries = this.entries;
    const entry = entries[index]!;
    const unusedSince = entry.lastUsed - UNUSED_TIME;
    const weight = entryWeight(entry);
    let target = this.firstUnused < index ? this.firstUnused : index >> 1;
    const movable = (): boolean => {
      const other = entries[target]!;
      return weight > entryWeight(other) || unusedSince > other.lastUsed;
    };
    if (!movable()) {
      if (target === index - 1) return index;
      target = index - 1;
      if (!movable()) return index;
    }
    entries.splice(index, 1);
    entries.splice(target, 0, entry);
    while (this.firstUnused < entries.length && entries[this.firstUnused]!.hits) this.firstUnused++;
    return target;
  }
}

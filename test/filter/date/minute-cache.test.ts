// The per-minute date cache gives the times of the full conversion, second for second, where a minute is least
// regular: zone transitions (summer time, historical offsets with seconds), the day and year that a date without
// them is given, and lines out of order; and the clock's memory of its last offset (a time seen twice in autumn is
// read as the lines before it were) stays what the full conversion leaves.
import { describe, expect, it } from "vitest";
import { DateDetector } from "../../../shared/filter/date/date-detector.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The wall clock of `epoch` in `zone`, as numbers. */
function wall(epoch: number, zone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(epoch * 1000));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { y: get("year"), mo: get("month"), d: get("day"), h: get("hour"), mi: get("minute"), s: get("second") };
}

const pad = (n: number) => String(n).padStart(2, "0");
const formats = {
  syslog: (w: ReturnType<typeof wall>) =>
    `${MONTHS[w.mo - 1]} ${String(w.d).padStart(2, " ")} ${pad(w.h)}:${pad(w.mi)}:${pad(w.s)} host sshd[1]: x`,
  iso: (w: ReturnType<typeof wall>) => `${w.y}-${pad(w.mo)}-${pad(w.d)} ${pad(w.h)}:${pad(w.mi)}:${pad(w.s)} x`,
  fraction: (w: ReturnType<typeof wall>) =>
    `${w.y}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}.${pad(w.s)}1 x`,
};

/** A small deterministic shuffle, so that minutes are met again out of order. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed;
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    a = (a * 1103515245 + 12345) >>> 0;
    const j = a % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Case {
  readonly name: string;
  readonly zone: string;
  /** First second (epoch) of the lines, and how many seconds they cover. */
  readonly from: number;
  readonly seconds: number;
  readonly format: keyof typeof formats;
  /** "now" of the run, epoch seconds. */
  readonly now: number;
}

const DAY = 86_400;
const cases: Case[] = [
  {
    name: "summer time starts (Paris)",
    zone: "Europe/Paris",
    from: 1774746000 - 200,
    seconds: 400,
    format: "iso",
    now: 1780000000,
  },
  {
    name: "summer time ends, the hour seen twice (Paris)",
    zone: "Europe/Paris",
    from: 1792890000 - 3800,
    seconds: 7600,
    format: "iso",
    now: 1800000000,
  },
  {
    name: "half-hour summer time (Lord Howe)",
    zone: "Australia/Lord_Howe",
    from: 1775314800 - 300,
    seconds: 600,
    format: "iso",
    now: 1780000000,
  },
  {
    name: "an offset with seconds ends (Monrovia 1972)",
    zone: "Africa/Monrovia",
    from: 63593070 - 300,
    seconds: 600,
    format: "iso",
    now: 70000000,
  },
  {
    name: "fractions of seconds",
    zone: "Europe/Paris",
    from: 1774746000 - 100,
    seconds: 200,
    format: "fraction",
    now: 1780000000,
  },
  {
    name: "a date without year a day ahead (last year)",
    zone: "UTC",
    from: 1796000000 + DAY - 150,
    seconds: 300,
    format: "syslog",
    now: 1796000000,
  },
  {
    name: "a date without year across new year",
    zone: "UTC",
    from: 1798761600 - 150,
    seconds: 300,
    format: "syslog",
    now: 1798761600 + 30,
  },
  {
    name: "a date without year, summer time ends (New York)",
    zone: "America/New_York",
    from: 1793512800 - 3700,
    seconds: 7400,
    format: "syslog",
    now: 1796000000,
  },
];

describe("dates remembered per minute", () => {
  it.each(cases)("$name: the same times as the full conversion", ({ zone, from, seconds, format, now }) => {
    const lines: string[] = [];
    for (let t = from; t < from + seconds; t++) lines.push(formats[format](wall(t, zone)));
    const cached = new DateDetector({ timeZone: zone });
    // the full conversion, line after line: a "now" that moves (by far less than a second) on every line fills no
    // cache, and the clock remembers its last offset across lines as it does for the cached detector
    const full = new DateDetector({ timeZone: zone });
    let compared = 0;
    for (const line of [...lines, ...shuffled(lines, seconds)]) {
      const expected = full.matchTime(line, now + compared * 1e-6);
      expect(cached.matchTime(line, now), line).toEqual(expected);
      compared++;
    }
    expect(compared).toBe(2 * seconds);
  });

  it("leaves the clock as the full conversion does: a time seen twice after a remembered minute", () => {
    const lines = [
      "2026-10-01 12:00:00 x",
      "2026-10-25 02:30:00 x", // seen twice in Paris: read with summer time, as the line before
      "2026-11-10 12:00:00 x",
      "2026-11-10 12:00:01 x", // a remembered minute, in winter time
      "2026-10-25 02:30:10 x", // now read with winter time, as after a conversion in winter
    ];
    const now = 1800000000;
    const cached = new DateDetector({ timeZone: "Europe/Paris" });
    const full = new DateDetector({ timeZone: "Europe/Paris" });
    const times = lines.map((line, i) => {
      const time = cached.matchTime(line, now)?.time;
      expect(time, line).toBe(full.matchTime(line, now + i * 1e-6)?.time);
      return time;
    });
    // the two readings of 02:30 an hour apart: the second one is winter time
    expect(times[4]! - times[1]!).toBe(3600 + 10);
  });

  it("forgets its minutes when now changes (a date without year)", () => {
    const detector = new DateDetector({ timeZone: "UTC" });
    const line = "Dec 31 23:59:30 host sshd[1]: x";
    const dec31 = Date.UTC(2026, 11, 31, 23, 59, 30) / 1000;
    // in the new year a day later, the date is this year's; a year before, it is the year before
    for (const now of [dec31 + 60, dec31 + 60, dec31 - 365 * DAY, dec31 - 365 * DAY, dec31 + 60]) {
      expect(detector.matchTime(line, now)?.time).toBe(
        new DateDetector({ timeZone: "UTC" }).matchTime(line, now)?.time,
      );
    }
    expect(detector.matchTime(line, dec31 - 365 * DAY)?.time).toBe(dec31 - 365 * DAY);
  });
});

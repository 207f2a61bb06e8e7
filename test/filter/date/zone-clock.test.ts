// Offsets and wall-clock conversions of ZoneClock: POSIX rules checked against the IANA database through Intl,
// fixed offsets as fail2ban reads them, DST gaps and repeated hours.
import { afterEach, describe, expect, it, vi } from "vitest";
import { parsePosixZone, posixOffsetAt } from "../../../shared/filter/date/posix-zone.js";
import { fixedOffsetMinutes, ZoneClock } from "../../../shared/filter/date/zone-clock.js";

const HOUR = 3600;
const utc = (iso: string): number => Date.parse(`${iso}Z`) / 1000;

const formats = new Map<string, Intl.DateTimeFormat>();

/** Offset of an IANA zone at an instant, straight from Intl (no offset cache), in seconds east of UTC. */
function intlOffset(zone: string, epoch: number): number {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formats.set(zone, format);
  }
  const parts = format.formatToParts(epoch * 1000);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second")) / 1000 - epoch;
}

describe("POSIX TZ rules agree with the IANA database", () => {
  const pairs: Array<[string, string, number, number]> = [
    ["CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Paris", 1997, 2030],
    ["CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Berlin", 1997, 2030],
    ["EST5EDT", "America/New_York", 2008, 2030],
    ["AEST-10AEDT,M10.1.0,M4.1.0/3", "Australia/Sydney", 2009, 2030],
    ["<+0545>-5:45", "Asia/Kathmandu", 1990, 2030],
    ["GMT0BST,M3.5.0/1,M10.5.0", "Europe/London", 1997, 2030],
  ];
  it.each(pairs)("%s = %s from %i to %i", (rule, zone, from, to) => {
    const posix = parsePosixZone(rule);
    expect(posix).toBeDefined();
    const clock = new ZoneClock(rule);
    const mismatches: string[] = [];
    // Every 3 days, plus the seconds around every transition found on the way (bisected).
    let previous = intlOffset(zone, utc(`${from}-01-01T00:00:00`));
    for (let t = utc(`${from}-01-01T00:00:00`); t < utc(`${to}-12-31T00:00:00`); t += 72 * HOUR) {
      const expected = intlOffset(zone, t);
      const probes = [t];
      if (expected !== previous) {
        // Bisect to the transition second, then probe both sides of it.
        let low = t - 72 * HOUR;
        let high = t;
        while (high - low > 1) {
          const mid = Math.floor((low + high) / 2);
          if (intlOffset(zone, mid) === expected) high = mid;
          else low = mid;
        }
        probes.push(low - 1, low, high, high + 1);
      }
      previous = expected;
      for (const probe of probes) {
        const want = intlOffset(zone, probe);
        if (posixOffsetAt(posix!, probe) !== want || clock.offsetAt(probe) !== want) {
          mismatches.push(new Date(probe * 1000).toISOString());
        }
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it("fail2ban's test zone ends summer time one hour before Paris does (02:00 summer time, not 03:00)", () => {
    const zone = parsePosixZone("CET-01CEST-02,M3.5.0,M10.5.0")!;
    expect(posixOffsetAt(zone, utc("2005-03-27T00:59:59"))).toBe(HOUR);
    expect(posixOffsetAt(zone, utc("2005-03-27T01:00:00"))).toBe(2 * HOUR);
    expect(posixOffsetAt(zone, utc("2005-10-29T23:59:59"))).toBe(2 * HOUR);
    expect(posixOffsetAt(zone, utc("2005-10-30T00:00:00"))).toBe(HOUR);
    expect(intlOffset("Europe/Paris", utc("2005-10-30T00:00:00"))).toBe(2 * HOUR);
  });

  it("Julian day rules count February 29 only in the zero-based form", () => {
    // J60 is always March 1; 59 is February 29 in a leap year.
    const j1 = parsePosixZone("AAA0BBB,J60/0,J300/0")!;
    const j0 = parsePosixZone("AAA0BBB,59/0,300/0")!;
    expect(posixOffsetAt(j1, utc("2004-02-29T12:00:00"))).toBe(0);
    expect(posixOffsetAt(j1, utc("2004-03-01T12:00:00"))).toBe(HOUR);
    expect(posixOffsetAt(j0, utc("2004-02-29T12:00:00"))).toBe(HOUR);
    expect(posixOffsetAt(j0, utc("2005-02-28T12:00:00"))).toBe(0);
    expect(posixOffsetAt(j0, utc("2005-03-01T12:00:00"))).toBe(HOUR);
  });

  it.each(["", "CET", "CET-01CEST-02,M3.5.0", "12345", "CET-01CEST-02,M3.5.0,M10.5.0,extra"])(
    "%j is no POSIX zone",
    (text) => {
      expect(parsePosixZone(text)).toBeUndefined();
    },
  );
});

describe("ZoneClock", () => {
  const savedTz = process.env["TZ"];
  afterEach(() => {
    if (savedTz === undefined) delete process.env["TZ"];
    else process.env["TZ"] = savedTz;
  });

  it("reads wall-clock times like mktime around the Paris transitions", () => {
    const clock = new ZoneClock("Europe/Paris");
    const wall = (iso: string): number => utc(iso);
    // Summer and winter.
    expect(clock.toEpoch(wall("2025-07-01T12:00:00"))).toBe(utc("2025-07-01T10:00:00"));
    expect(clock.toEpoch(wall("2025-01-01T12:00:00"))).toBe(utc("2025-01-01T11:00:00"));
    // 02:30 does not exist on 2025-03-30: read with the winter offset, it is 03:30 summer time.
    expect(clock.toEpoch(wall("2025-03-30T02:30:00"))).toBe(utc("2025-03-30T01:30:00"));
    // 02:30 exists twice on 2025-10-26: read first, or after a winter-time conversion, it is the winter one...
    const fresh = new ZoneClock("Europe/Paris");
    expect(fresh.toEpoch(wall("2025-10-26T02:30:00"))).toBe(utc("2025-10-26T01:30:00"));
    expect(fresh.toEpoch(wall("2025-12-01T12:00:00"))).toBe(utc("2025-12-01T11:00:00"));
    expect(fresh.toEpoch(wall("2025-10-26T02:30:00"))).toBe(utc("2025-10-26T01:30:00"));
    // ...and after a summer-time conversion, the summer one (as glibc's mktime).
    expect(fresh.toEpoch(wall("2025-10-26T01:59:59"))).toBe(utc("2025-10-25T23:59:59"));
    expect(fresh.toEpoch(wall("2025-10-26T02:30:00"))).toBe(utc("2025-10-26T00:30:00"));
  });

  it("maps instants to the wall clock, exact at the transition second", () => {
    const clock = new ZoneClock("Europe/Paris");
    expect(clock.toWall(utc("2025-03-30T00:59:59"))).toBe(utc("2025-03-30T01:59:59"));
    expect(clock.toWall(utc("2025-03-30T01:00:00"))).toBe(utc("2025-03-30T03:00:00"));
    expect(clock.toWall(utc("2025-10-26T00:59:59"))).toBe(utc("2025-10-26T02:59:59"));
    expect(clock.toWall(utc("2025-10-26T01:00:00"))).toBe(utc("2025-10-26T02:00:00"));
  });

  it("follows a POSIX rule in TZ for the process's local zone, where V8 would use UTC", () => {
    process.env["TZ"] = "CET-01CEST-02,M3.5.0,M10.5.0";
    const clock = new ZoneClock();
    expect(clock.offsetAt(utc("2005-08-14T10:00:00"))).toBe(2 * HOUR);
    expect(clock.offsetAt(utc("2005-01-14T10:00:00"))).toBe(HOUR);
  });

  it("uses the process's zone from TZ when it is an IANA name", () => {
    process.env["TZ"] = "America/New_York";
    const clock = new ZoneClock();
    expect(clock.offsetAt(utc("2005-08-14T10:00:00"))).toBe(-4 * HOUR);
    expect(clock.offsetAt(utc("2005-01-14T10:00:00"))).toBe(-5 * HOUR);
  });

  // The first Intl.DateTimeFormat of a process costs 15-35 ms: a TZ that cannot be a POSIX rule (no digit, where a
  // rule's offset is required) is read as a zone name without asking Intl.
  it.each([
    ["UTC", false, 0],
    ["America/New_York", false, -4 * HOUR],
    [":Europe/Paris", false, 2 * HOUR],
    ["EST5EDT", true, -4 * HOUR],
    ["Etc/GMT+5", true, -5 * HOUR],
    ["CET-01CEST-02,M3.5.0,M10.5.0", true, 2 * HOUR],
  ])("reads TZ=%s asking Intl: %s (summer offset %i s)", (tz, asksIntl, summerOffset) => {
    process.env["TZ"] = tz;
    const intl = vi.spyOn(Intl, "DateTimeFormat");
    try {
      const clock = new ZoneClock();
      expect(intl.mock.calls.length > 0).toBe(asksIntl);
      expect(clock.offsetAt(utc("2005-08-14T10:00:00"))).toBe(summerOffset);
    } finally {
      intl.mockRestore();
    }
  });

  it("refuses an unknown zone with its name", () => {
    expect(() => new ZoneClock("Nowhere/Else")).toThrow(/"Nowhere\/Else"/);
  });
});

describe("fixed offsets as fail2ban reads them", () => {
  it.each([
    ["UTC", 0],
    ["", 0],
    ["Z", 0],
    ["GMT", 0],
    ["UTC+0200", 120],
    ["UTC-0130", -90],
    ["+02", 120],
    ["-04:30", -270],
    ["+0545", 345],
    ["CET", 60],
    ["CEST", 120],
    ["CET+01", 120],
    ["NPT", 345],
    ["A", 60],
    ["EST-0100", -360],
  ] as const)("%j is %i minutes", (text, minutes) => {
    expect(fixedOffsetMinutes(text)).toBe(minutes);
  });

  it.each(["XYZ", "UTC+2", "UTC+2000", "utc", "Europe/Paris", "+0200x"])("%j is not a fixed offset", (text) => {
    expect(fixedOffsetMinutes(text)).toBeUndefined();
  });
});

// Data-driven cases (fixtures/dates.json): each line's time, date span and template, checked against the fixture
// and, unless the case says why not, against fail2ban's own DateDetector too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DateDetector } from "../../../shared/filter/date/date-detector.js";
import { DatePatternError, DateTimeZoneError } from "../../../shared/filter/date/date-errors.js";
import { runFail2banDates } from "./run-fail2ban-dates.js";

interface FixtureLine {
  readonly line: string;
  readonly time: string | number | null;
  readonly start?: number;
  readonly end?: number;
  readonly template?: string;
}

interface FixtureCase {
  readonly name: string;
  readonly tz?: string;
  readonly now?: string;
  readonly datepattern?: string;
  readonly logtimezone?: string;
  readonly fail2ban?: boolean;
  readonly why?: string;
  readonly lines: readonly FixtureLine[];
}

const fixtures = join(import.meta.dirname, "fixtures");
const { cases } = JSON.parse(readFileSync(join(fixtures, "dates.json"), "utf8")) as { cases: FixtureCase[] };
const errors = (
  JSON.parse(readFileSync(join(fixtures, "pattern-errors.json"), "utf8")) as {
    cases: Array<{ datepattern: string; index: number; message: string }>;
  }
).cases;

const DEFAULT_NOW = "2005-08-14T12:00:00+02:00";
const DEFAULT_TZ = "Europe/Paris";

const epoch = (iso: string): number => Date.parse(iso) / 1000;
const expectedTime = (time: string | number | null): number | null => (typeof time === "string" ? epoch(time) : time);

function run(fixture: FixtureCase): Array<ReturnType<DateDetector["findDate"]>> {
  const detector = new DateDetector({
    timeZone: fixture.tz ?? DEFAULT_TZ,
    datepattern: fixture.datepattern,
    logtimezone: fixture.logtimezone,
  });
  const now = epoch(fixture.now ?? DEFAULT_NOW);
  return fixture.lines.map((item) => detector.findDate(item.line, now));
}

describe("DateDetector fixtures", () => {
  it.each(cases.map((fixture) => [fixture.name, fixture] as const))("%s", (_name, fixture) => {
    const results = run(fixture);
    fixture.lines.forEach((item, i) => {
      const found = results[i] ?? null;
      const want = expectedTime(item.time);
      expect({ line: item.line, time: found?.time ?? null }).toEqual({ line: item.line, time: want });
      if (item.start !== undefined) expect(found?.start).toBe(item.start);
      if (item.end !== undefined) expect(found?.end).toBe(item.end);
      if (item.template !== undefined) expect(found?.template).toBe(item.template);
    });
  });

  it("every default template is exercised by a fixture", () => {
    const detector = new DateDetector({ timeZone: DEFAULT_TZ });
    const now = epoch(DEFAULT_NOW);
    for (const fixture of cases.filter((c) => c.datepattern === undefined && c.logtimezone === undefined)) {
      for (const item of fixture.lines) detector.matchTime(item.line, now);
    }
    const unused = detector
      .templateHits()
      .filter((hit) => hit.hits === 0 && hit.template.startsWith("{^LN-BEG}"))
      .map((hit) => hit.template);
    expect(unused).toEqual([]);
  });
});

describe("fixtures agree with fail2ban", () => {
  const compared = cases.filter((fixture) => fixture.fail2ban !== false);
  const reference = runFail2banDates(
    compared.map((fixture) => ({
      tz: fixture.tz ?? DEFAULT_TZ,
      datepattern: fixture.datepattern ?? null,
      logtimezone: fixture.logtimezone ?? null,
      lines: fixture.lines.map((item) => ({ line: item.line, now: epoch(fixture.now ?? DEFAULT_NOW) })),
    })),
  );

  it("cases not compared say why", () => {
    for (const fixture of cases.filter((c) => c.fail2ban === false)) expect(fixture.why).toBeTruthy();
  });

  it.each(compared.map((fixture, index) => [fixture.name, index] as const))("%s", (_name, index) => {
    const fixture = compared[index]!;
    const expected = reference[index]!;
    expect(expected.error).toBeNull();
    const now = epoch(fixture.now ?? DEFAULT_NOW);
    const ours = run(fixture).map((found) => found && { time: found.time, start: found.start, end: found.end });
    const theirs = expected.lines.map((ref) =>
      ref === null ? null : { time: ref.time === "empty" ? now : ref.time, start: ref.start, end: ref.end },
    );
    expect(ours).toEqual(theirs);
  });
});

describe("datepattern errors", () => {
  const reference = runFail2banDates(errors.map((c) => ({ tz: "UTC", datepattern: c.datepattern, lines: [] })));

  it.each(errors.map((c, index) => [c.datepattern, index] as const))("%j is refused", (_pattern, index) => {
    const fixture = errors[index]!;
    expect(reference[index]!.error).toBeTruthy();
    let caught: unknown;
    try {
      new DateDetector({ datepattern: fixture.datepattern });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DatePatternError);
    const error = caught as DatePatternError;
    expect(error.index).toBe(fixture.index);
    expect(error.message).toContain(fixture.message);
    expect(fixture.datepattern.split("\n")).toContain(error.pattern);
  });

  it.each(["Mars/Olympus", "UTC+2", "UTC+0200x", "CET-01CEST-02,M3.5.0,M10.5.0"])(
    "logtimezone %j is refused, as by fail2ban",
    (zone) => {
      const [reference] = runFail2banDates([{ tz: "UTC", logtimezone: zone, lines: [] }]);
      expect(reference!.error).toMatch(/time zone/);
      expect(() => new DateDetector({ logtimezone: zone })).toThrow(DateTimeZoneError);
    },
  );

  it("an unknown time zone is refused with its name", () => {
    expect(() => new DateDetector({ logtimezone: "Mars/Olympus" })).toThrow(/"Mars\/Olympus"/);
    expect(() => new DateDetector({ timeZone: "Nowhere/Else" })).toThrow(/"Nowhere\/Else"/);
  });
});

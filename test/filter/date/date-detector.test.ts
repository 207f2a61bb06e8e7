// Behaviour of DateDetector beyond single dates: attacker-sized lines, the template statistics, options.
import { describe, expect, it } from "vitest";
import { DateDetector } from "../../../shared/filter/date/date-detector.js";
import { runFail2banDates } from "./run-fail2ban-dates.js";

const NOW = 1124013600;

describe("DateDetector", () => {
  it.each([
    ["digits", "1".repeat(100_000)],
    ["colons", "1:".repeat(50_000)],
    ["dates without times", "2005-01-23 ".repeat(10_000)],
    ["month names", "Jan 23 ".repeat(15_000)],
    ["almost syslog dates", "Jan 23 21:59".repeat(8_000)],
    ["blanks", `${" ".repeat(100_000)}x`],
    ["brackets", "[".repeat(100_000)],
    ["TAI64N prefix", "@".repeat(50_000) + "0".repeat(50_000)],
    ["audit records", "audit(".repeat(20_000)],
  ])("searches a 100 kB line of %s in linear time", (_name, line) => {
    const detector = new DateDetector({ timeZone: "UTC" });
    const started = performance.now();
    detector.matchTime(line, NOW);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it("counts hits per template and moves winning templates up exactly as fail2ban, for fail2ban-regex's report", () => {
    const lines = [
      ...["x 1 2005-01-23 21:59:51 y", "x 2 2005-01-23 21:59:52 y", "x 3 2005-01-23 21:59:53 y"],
      ...["Jan 23 21:59:59 host", "Jan 23 22:00:00 host", "23/01/2005 21:59:59 x", "no date"],
      ...["[1124006400] x", "Jan 23 22:00:01 host", "x 4 2005-01-23 21:59:54 y"],
    ];
    const detector = new DateDetector({ timeZone: "UTC" });
    expect(detector.templateHits()).toEqual([]);
    for (const line of lines) detector.matchTime(line, NOW);
    const [reference] = runFail2banDates([{ tz: "UTC", lines: lines.map((line) => ({ line, now: NOW })) }]);
    expect(detector.templateHits().map((h) => [h.template, h.hits])).toEqual(reference!.hits);
    expect(detector.templateHits().reduce((sum, h) => sum + h.hits, 0)).toBe(lines.length - 1);
    // The line-begin asctime template won three times and bubbled to the top.
    expect(detector.templateHits()[0]).toEqual({
      template: "{^LN-BEG}(?:DAY )?MON Day %k:Minute:Second(?:\\.Microseconds)?(?: ExYear)?",
      hits: 3,
    });
  });

  it("reports a matched text that is no valid date through findDate, and not through matchTime", () => {
    const detector = new DateDetector({ datepattern: "^%Y-%m-%d %H:%M:%S", timeZone: "UTC" });
    const line = "2005-02-30 10:00:00 x";
    expect(detector.findDate(line, NOW)).toEqual({
      time: null,
      start: 0,
      end: 19,
      template: "^Year-Month-Day 24hour:Minute:Second",
    });
    expect(detector.matchTime(line, NOW)).toBeNull();
    expect(detector.templateHits()).toEqual([{ template: "^Year-Month-Day 24hour:Minute:Second", hits: 2 }]);
  });

  it("keeps statistics per detector", () => {
    const first = new DateDetector({ timeZone: "UTC" });
    const second = new DateDetector({ timeZone: "UTC" });
    first.matchTime("2005-01-23 21:59:59 x", NOW);
    expect(first.templateHits().some((h) => h.hits === 1)).toBe(true);
    second.matchTime("no date", NOW);
    expect(second.templateHits().every((h) => h.hits === 0)).toBe(true);
  });

  it("reads the date in the detector's zone, not the process's", () => {
    const paris = new DateDetector({ timeZone: "Europe/Paris" });
    const tokyo = new DateDetector({ timeZone: "Asia/Tokyo" });
    const line = "2005-01-23 21:59:59 x";
    expect(paris.matchTime(line, NOW)!.time - tokyo.matchTime(line, NOW)!.time).toBe(8 * 3600);
  });

  it("splits a multi-line datepattern like fail2ban (blank lines and indentation ignored)", () => {
    const detector = new DateDetector({ datepattern: "\n  ^%Y-%m-%d %H:%M:%S\n\n   EPOCH \n", timeZone: "UTC" });
    expect(detector.matchTime("1124006400 x", NOW)?.time).toBe(1124006400);
    expect(detector.templateHits().map((h) => h.template)).toEqual(["Epoch", "^Year-Month-Day 24hour:Minute:Second"]);
  });
});

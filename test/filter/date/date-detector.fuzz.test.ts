// Generated lines (seeded, so reproducible): many date layouts with random values, some invalid, at random places
// in random text, fed in one stream so that template switching and reordering are exercised; fail2ban's
// DateDetector must find the same template, span and time for every line.
import { describe, expect, it } from "vitest";
import { DateDetector } from "../../../shared/filter/date/date-detector.js";
import { runFail2banDates } from "./run-fail2ban-dates.js";

/** Small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
  "jan",
  "JUL",
  "Foo",
];
const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "sun"];
const ZONES = ["", " +0200", " -0000", " Z", " UTC", " +05:30", " CEST", " -1100"];
const PREFIXES = ["", "", "", "[", "<", "host ", "x: ", "192.0.2.1 - - [", "audit(", "é", "a", "12 "];
const SUFFIXES = ["", " sshd[123]: Failed password", "] x", ": y", "abc", ".5 z", " 2005", ":12) x"];

function lineGenerator(next: () => number): () => string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const num = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  const two = (n: number): string => String(n).padStart(2, "0");
  const layouts: Array<() => string> = [
    () =>
      `${num(1999, 2031)}-${two(num(0, 13))}-${two(num(0, 32))} ${two(num(0, 24))}:${two(num(0, 60))}:${two(num(0, 61))}`,
    () =>
      `${num(2000, 2030)}/${num(1, 12)}/${num(1, 31)}T${num(0, 23)}:${two(num(0, 59))}:${two(num(0, 59))}.${num(0, 999999)}`,
    () => `${pick(MONTHS)} ${String(num(1, 31)).padStart(2, " ")} ${num(0, 23)}:${two(num(0, 59))}:${two(num(0, 59))}`,
    () =>
      `${pick(DAYS)} ${pick(MONTHS)} ${num(1, 31)} ${two(num(0, 23))}:${two(num(0, 59))}:${two(num(0, 59))} ${num(2000, 2030)}`,
    () => `${num(1, 31)}/${pick(MONTHS)}/${num(2000, 2030)}:${two(num(0, 23))}:${two(num(0, 59))}:${two(num(0, 59))}`,
    () =>
      `${two(num(1, 31))}/${two(num(1, 12))}/${two(num(0, 99))} ${num(0, 23)}:${two(num(0, 59))}:${two(num(0, 59))}`,
    () =>
      `${two(num(1, 12))}-${two(num(1, 31))}-${num(2000, 2030)} ${num(0, 23)}:${two(num(0, 59))}:${two(num(0, 59))}`,
    () => `${num(1000000000, 1999999999)}${next() < 0.5 ? `.${num(100, 999999)}` : ""}`,
    () => `${two(num(0, 23))}:${two(num(0, 59))}:${two(num(0, 59))}`,
    () => `${two(num(0, 99))}${two(num(1, 12))}${two(num(1, 31))} ${num(0, 23)}:${two(num(0, 59))}:${two(num(0, 59))}`,
    () =>
      `${pick(MONTHS)} ${num(1, 31)}, ${num(2000, 2030)} ${num(1, 12)}:${two(num(0, 59))}:${two(num(0, 59))} ${pick(["AM", "PM", "am"])}`,
    () =>
      `${pick(MONTHS)}-${two(num(1, 31))}-${two(num(0, 99))} ${two(num(0, 23))}:${two(num(0, 59))}:${two(num(0, 59))}`,
    () =>
      `${num(2000, 2030)}${two(num(1, 12))}${two(num(1, 31))}T${two(num(0, 23))}${two(num(0, 59))}${two(num(0, 59))}`,
    () =>
      `${pick(["PDT", "CEST", "XYZ", "abc"])} ${pick(MONTHS)} ${num(1, 31)} ${num(0, 23)}:${two(num(0, 59))}:${two(num(0, 59))}`,
    () => `@40000000${num(0x10000000, 0x7fffffff).toString(16)}${num(0, 0xffffff).toString(16).padStart(8, "0")}`,
  ];
  return () => `${pick(PREFIXES)}${pick(layouts)()}${pick(ZONES)}${pick(SUFFIXES)}`;
}

describe("generated lines against fail2ban's DateDetector", () => {
  const settings = [
    { seed: 1, tz: "Europe/Paris", now: 1124013600, datepattern: undefined },
    { seed: 2, tz: "America/New_York", now: 1736942400, datepattern: undefined },
    { seed: 3, tz: "CET-01CEST-02,M3.5.0,M10.5.0", now: 1104537600, datepattern: undefined },
    { seed: 4, tz: "Europe/Paris", now: 1124013600, datepattern: "{^LN-BEG}" },
    { seed: 5, tz: "UTC", now: 1124013600, datepattern: "^[^\\[]*\\[({DATE})\n{^LN-BEG}" },
  ];
  const runs = settings.map((setting) => {
    const generate = lineGenerator(random(setting.seed));
    return { ...setting, lines: Array.from({ length: 1500 }, generate) };
  });
  const reference = runFail2banDates(
    runs.map((run) => ({
      tz: run.tz,
      datepattern: run.datepattern ?? null,
      lines: run.lines.map((line) => ({ line, now: run.now })),
    })),
  );

  it.each(runs.map((run, index) => [`seed ${run.seed}, ${run.tz}, ${run.datepattern ?? "defaults"}`, index] as const))(
    "%s",
    (_label, index) => {
      const run = runs[index]!;
      const expected = reference[index]!;
      const detector = new DateDetector({ timeZone: run.tz, datepattern: run.datepattern });
      const mismatches: unknown[] = [];
      run.lines.forEach((line, i) => {
        const ours = detector.findDate(line, run.now);
        const ref = expected.lines[i] ?? null;
        const theirs = ref && { ...ref, time: ref.time === "empty" ? run.now : ref.time };
        if (JSON.stringify(ours) !== JSON.stringify(theirs)) mismatches.push({ line, ours, theirs });
      });
      expect(mismatches.slice(0, 3)).toEqual([]);
      expect(detector.templateHits().map((h) => [h.template, h.hits])).toEqual(expected.hits);
      // The generator must produce both dates and non-dates.
      expect(expected.lines.filter((ref) => ref?.time).length).toBeGreaterThan(300);
      expect(expected.lines.filter((ref) => ref === null || ref.time === null).length).toBeGreaterThan(50);
    },
  );
});

// Differential test: every line of fail2ban's sample logs through our DateDetector and fail2ban's own, with the
// default templates and with the datepatterns of fail2ban's filters, at two different "now"s.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DateDetector } from "../../../shared/filter/date/date-detector.js";
import { fail2banConfig, fail2banSampleLogs } from "../../support/reference.js";
import { type ReferenceCase, runFail2banDates } from "./run-fail2ban-dates.js";

// fail2ban's test clock (2005-08-14 12:00 CEST) and a January day (year rollover), in Paris; fail2ban's own test zone
// (a POSIX rule that ends summer time an hour early); and New York with a logtimezone overriding it.
const SETTINGS: ReadonlyArray<{ tz: string; now: number; logtimezone?: string }> = [
  { tz: "Europe/Paris", now: 1124013600 },
  { tz: "Europe/Paris", now: 1736942400 },
  { tz: "CET-01CEST-02,M3.5.0,M10.5.0", now: 1124013600 },
  { tz: "America/New_York", now: 1736942400, logtimezone: "UTC+0530" },
];

function sampleLines(file: string): string[] {
  return readFileSync(join(fail2banSampleLogs, file), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"));
}

/** The datepattern of a filter.d file when it is self-contained (no interpolation), with %% unescaped. */
function filterDatePattern(name: string): string | undefined {
  const path = join(fail2banConfig, "filter.d", `${name}.conf`);
  if (!existsSync(path)) return undefined;
  const lines = readFileSync(path, "utf8").split("\n");
  const start = lines.findIndex((line) => /^datepattern\s*=/.test(line));
  if (start < 0) return undefined;
  const value = [lines[start]!.replace(/^datepattern\s*=\s*/, "")];
  for (const line of lines.slice(start + 1)) {
    if (!/^\s+\S/.test(line)) break;
    value.push(line.trim());
  }
  const text = value.join("\n").trim();
  if (!text || /%\(|<[^>]*>/.test(text.replace(/\(\?P<\w+>/g, ""))) return undefined;
  return text.replaceAll("%%", "%");
}

interface Run {
  readonly label: string;
  readonly datepattern?: string;
  readonly lines: string[];
  readonly now: number;
  readonly tz: string;
  readonly logtimezone?: string;
}

const files = readdirSync(fail2banSampleLogs, { withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => entry.name);
const runs: Run[] = [];
for (const { tz, now, logtimezone } of SETTINGS) {
  const where = `${tz}${logtimezone ? ` logtimezone ${logtimezone}` : ""}, now=${now}`;
  for (const file of files) {
    const lines = sampleLines(file);
    runs.push({ label: `${file} (defaults, ${where})`, lines, now, tz, logtimezone });
    const datepattern = filterDatePattern(file);
    if (datepattern) {
      runs.push({
        label: `${file} (${JSON.stringify(datepattern)}, ${where})`,
        datepattern,
        lines,
        now,
        tz,
        logtimezone,
      });
    }
  }
}

describe("DateDetector against fail2ban's DateDetector on fail2ban's sample logs", () => {
  const cases: ReferenceCase[] = runs.map((run) => ({
    tz: run.tz,
    logtimezone: run.logtimezone ?? null,
    datepattern: run.datepattern ?? null,
    lines: run.lines.map((line) => ({ line, now: run.now })),
  }));
  const reference = runFail2banDates(cases);

  it("covers a meaningful corpus", () => {
    expect(runs.length).toBeGreaterThan(300);
    expect(runs.reduce((n, run) => n + run.lines.length, 0)).toBeGreaterThan(5000);
  });

  it.each(runs.map((run, index) => [run.label, index] as const))("%s", (_label, index) => {
    const run = runs[index]!;
    const expected = reference[index]!;
    expect(expected.error).toBeNull();
    const detector = new DateDetector({ timeZone: run.tz, datepattern: run.datepattern, logtimezone: run.logtimezone });
    const actual = run.lines.map((line) => {
      const found = detector.findDate(line, run.now);
      return found && { time: found.time, start: found.start, end: found.end, template: found.template };
    });
    const wanted = expected.lines.map((ref) => {
      if (ref === null) return null;
      return {
        time: ref.time === "empty" ? run.now : ref.time,
        start: ref.start,
        end: ref.end,
        template: ref.template,
      };
    });
    for (let i = 0; i < run.lines.length; i++) {
      expect({ line: run.lines[i], date: actual[i] }).toEqual({ line: run.lines[i], date: wanted[i] });
    }
    expect(detector.templateHits().map((h) => [h.template, h.hits])).toEqual(expected.hits);
  });
});

// `cloudjail regex -v`: for each line, why it matched or not — which failregex (number and text, numbered as in the
// summary), the captured groups, the date template; for a missed line, how far it got (date found, prefregex
// matched). With --debuggex, a debuggex.com link per regex and line, as fail2ban-regex prints them.
import { DateDetector } from "../../shared/filter/date/date-detector.js";
import type { Failure } from "../../shared/filter/failure.js";
import type { FilterSpec, LineResult } from "../../shared/filter/log-filter.js";
import { expandFailRegexTags } from "../../shared/filter/regex/fail-regex.js";

/** A failregex hit for fail2ban-regex's verbose summary: the address and the line's time. */
export interface RegexHit {
  readonly id: string;
  readonly time: number | undefined;
}

/** How the explainer prints. */
export interface ExplainOptions {
  readonly debuggex: boolean;
  readonly useDns: "yes" | "warn" | "no" | "raw";
  /** The clock for dates without a year (the run's `now`). */
  readonly now: number;
}

function fieldsText(failure: Failure): string {
  const entries = Object.entries(failure.fields).filter(
    ([name, value]) => value !== undefined && name !== "matches" && !name.startsWith("mlf"),
  );
  return entries.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(" ");
}

/** fail2ban-regex's debuggex.com link: the regex with its tags expanded, the line without its date. */
export function debuggexUrl(sample: string, regex: string, useDns: ExplainOptions["useDns"]): string {
  const params = new URLSearchParams({
    re: expandFailRegexTags(regex, useDns === "raw" ? "raw" : "yes"),
    str: sample,
    flavor: "python",
  });
  return `https://www.debuggex.com/?${params.toString()}`;
}

/** Explains lines one after the other, and keeps the failregex hits for the verbose summary. */
export class LineExplainer {
  private readonly dates: DateDetector;
  /** Hits per failregex index. */
  readonly hits = new Map<number, RegexHit[]>();

  constructor(
    private readonly spec: FilterSpec,
    private readonly options: ExplainOptions,
  ) {
    this.dates = new DateDetector(spec.datepattern ? { datepattern: spec.datepattern } : {});
  }

  /** The text printed for one line (ends with a newline). `failures` are after host resolution. */
  explain(lineNumber: number, line: string, result: LineResult, failures: readonly Failure[]): string {
    const out: string[] = [];
    const date = result.dateTemplate ? `date template: ${result.dateTemplate}` : "date: none found";
    const reported = failures.filter((failure) => !failure.nofail);
    if (result.ignoredBy !== undefined) {
      const pattern = this.spec.ignoreregex?.[result.ignoredBy] ?? "";
      out.push(`line ${lineNumber}: ignored by ignoreregex ${result.ignoredBy + 1}: ${pattern}`, `  ${date}`);
    } else if (failures.length > 0) {
      for (const failure of failures) {
        const index = failure.regexIndex;
        // fail2ban-regex -v lists F-NOFAIL hits under their regex too
        const list = this.hits.get(index) ?? [];
        list.push({ id: failure.id, time: failure.time });
        this.hits.set(index, list);
        out.push(
          `line ${lineNumber}: ${failure.nofail ? "no failure (F-NOFAIL; counted as ignored), by" : "matched"} failregex ${
            index + 1
          }: ${this.spec.failregex[index] ?? ""}`,
          `  id: ${failure.id}${failure.ip && failure.ip !== failure.id ? ` ip: ${failure.ip}` : ""}`,
        );
        const groups = fieldsText(failure);
        if (groups !== "") out.push(`  groups: ${groups}`);
      }
      out.push(`  ${date}`);
      if (reported.length === 0) out.push("  counted: no (the filter marks this line as no failure: F-NOFAIL)");
    } else {
      const prefix = this.spec.prefregex
        ? result.prefixMatched
          ? "prefregex matched"
          : "prefregex did not match (no failregex was tried)"
        : "no prefregex";
      out.push(
        `line ${lineNumber}: missed: ${result.dateTemplate ? "date found" : "no date found"}, ${prefix}${
          this.spec.prefregex && !result.prefixMatched
            ? ""
            : `, none of the ${this.spec.failregex.length} failregex matched`
        }`,
        `  ${date}`,
      );
    }
    if (this.options.debuggex) out.push(...this.debuggexLines(line, result, failures));
    return `${out.join("\n")}\n`;
  }

  private debuggexLines(line: string, result: LineResult, failures: readonly Failure[]): string[] {
    // fail2ban-regex applies the regexes to the line with its date cut out: so does the link
    const match = this.dates.matchTime(line, this.options.now);
    const sample = match ? line.slice(0, match.start) + line.slice(match.end) : line;
    const regexes =
      result.ignoredBy !== undefined
        ? [this.spec.ignoreregex?.[result.ignoredBy] ?? ""]
        : failures.length > 0
          ? [...new Set(failures.map((failure) => this.spec.failregex[failure.regexIndex] ?? ""))]
          : this.spec.failregex;
    return regexes.map((regex) => `  debuggex: ${debuggexUrl(sample, regex, this.options.useDns)}`);
  }
}

/** fail2ban-regex's verbose hit line under a failregex: `    ADDRESS  Fri Aug 14 11:53:59 2026`. */
export function hitLine(hit: RegexHit): string {
  if (hit.time === undefined) return `|      ${hit.id}  (no date)`;
  const date = new Date(hit.time * 1000);
  const day = date.toLocaleString("en-US", { weekday: "short" });
  const month = date.toLocaleString("en-US", { month: "short" });
  const pad = (value: number) => String(value).padStart(2, "0");
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `|      ${hit.id}  ${day} ${month} ${pad(date.getDate())} ${time} ${date.getFullYear()}`;
}

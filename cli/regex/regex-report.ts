// The human summary of `cloudjail regex`, shaped like fail2ban-regex's so its users read it at a glance.
import type { Failure } from "../../shared/filter/failure.js";
import { LineStats, type LinesToKeep } from "../../shared/filter/line-stats.js";
import type { FilterSpec, LineResult } from "../../shared/filter/log-filter.js";

/** fail2ban-regex prints a kind of lines when there are fewer than this, or all with --print-all-<kind>. */
const SHOWN_LINES = 20;

/** Which lines the report prints: all of a kind, or none. */
export interface ReportLines {
  readonly printAll: LinesToKeep;
  readonly printNo: { readonly ignored: boolean; readonly missed: boolean };
}

/** Accumulates per-line outcomes and renders the final report. */
export class RegexReport {
  logName = "";
  seconds = 0;
  /** The counts; lines are added here or counted by the filter worker and merged. */
  readonly stats: LineStats;

  constructor(
    private readonly spec: FilterSpec,
    private readonly description: string,
    private readonly lines: ReportLines = { printAll: {}, printNo: { ignored: false, missed: false } },
  ) {
    this.stats = new LineStats(spec.failregex.length, spec.ignoreregex?.length ?? 0, lines.printAll);
  }

  /** Lines tested so far. */
  get tested(): number {
    return this.stats.current.tested;
  }

  /** Records a line's outcome. `failures` are after host resolution. */
  add(line: string, result: LineResult, failures: readonly Failure[]): void {
    this.stats.add(line, result, failures);
  }

  /** Records a line the guard abandoned. */
  addStalled(line: string): void {
    this.stats.addStalled(line);
  }

  /** The whole report as text. */
  render(): string {
    const stats = this.stats.current;
    const out: string[] = [];
    out.push("", "Running tests", "=============", "");
    out.push(`Use   ${this.description}`);
    if (this.spec.datepattern) out.push(`Use      datepattern : ${this.spec.datepattern}`);
    if (this.spec.maxlines && this.spec.maxlines > 1) out.push(`Use         maxlines : ${this.spec.maxlines}`);
    out.push(`Use         log file : ${this.logName}`, "", "", "Results", "=======", "");
    out.push(...this.regexList("Failregex", this.spec.failregex, stats.failHits));
    out.push("", ...this.regexList("Ignoreregex", this.spec.ignoreregex ?? [], stats.ignoreHits));
    out.push("", "Date template hits:", "|- [# of hits] date format");
    for (const [template, hits] of [...stats.dateHits].sort((a, b) => b[1] - a[1]))
      out.push(`|  [${hits}] ${template}`);
    out.push("`-", "");
    out.push(
      `Lines: ${stats.tested} lines, ${stats.ignored} ignored, ${stats.matched} matched, ${stats.missed} missed`,
    );
    if (stats.stalled > 0)
      out.push(`Abandoned: ${stats.stalled} line(s) exceeded the per-line time budget (pathological input)`);
    out.push(`[processed in ${this.seconds.toFixed(2)} sec]`, "");
    const { printAll, printNo } = this.lines;
    if (printAll.matched) out.push(...this.lineList("matched", stats.matched, stats.matchedLines));
    if (!printNo.ignored) out.push(...this.lineList("ignored", stats.ignored, stats.ignoredLines));
    if (!printNo.missed) out.push(...this.lineList("missed", stats.missed, stats.missedLines));
    return `${out.join("\n")}\n`;
  }

  private regexList(title: string, patterns: readonly string[], hits: readonly number[]): string[] {
    const total = hits.reduce((a, b) => a + b, 0);
    const lines = [`${title}: ${total} total`];
    if (patterns.length > 0) {
      lines.push("|-  #) [# of hits] regular expression");
      for (const [i, pattern] of patterns.entries())
        lines.push(`|  ${String(i + 1).padStart(2)}) [${hits[i] ?? 0}] ${pattern}`);
      lines.push("`-");
    }
    return lines;
  }

  /** fail2ban-regex's printLines: a `|-` list of the lines, or how to see them all. */
  private lineList(kind: "matched" | "ignored" | "missed", count: number, lines: readonly string[]): string[] {
    if (count === 0) return [];
    const header = `${kind[0]!.toUpperCase()}${kind.slice(1)} line(s):`;
    if (count >= SHOWN_LINES && !this.lines.printAll[kind]) {
      return [`${header} too many to print.  Use --print-all-${kind} to print all ${count} lines`];
    }
    return [`|- ${header}`, ...lines.map((line) => `|  ${line.trimEnd()}`), "`-"];
  }
}

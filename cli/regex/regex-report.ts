// The human summary of `cloudjail regex`, shaped like fail2ban-regex's so its users read it at a glance.
import type { Failure } from "../../shared/filter/failure.js";
import type { FilterSpec, LineResult } from "../../shared/filter/log-filter.js";

const SHOWN_LINES = 20;

/** Accumulates per-line outcomes and renders the final report. */
export class RegexReport {
  logName = "";
  seconds = 0;
  tested = 0;
  matched = 0;
  ignored = 0;
  missed = 0;
  stalled = 0;
  private readonly failHits: number[];
  private readonly ignoreHits: number[];
  private readonly dateHits = new Map<string, number>();
  private readonly missedLines: string[] = [];
  private readonly ignoredLines: string[] = [];

  constructor(
    private readonly spec: FilterSpec,
    private readonly description: string,
  ) {
    this.failHits = spec.failregex.map(() => 0);
    this.ignoreHits = (spec.ignoreregex ?? []).map(() => 0);
  }

  /** Records a line's outcome. `failures` are after host resolution. */
  add(line: string, result: LineResult, failures: readonly Failure[]): void {
    this.tested++;
    if (result.dateTemplate) this.dateHits.set(result.dateTemplate, (this.dateHits.get(result.dateTemplate) ?? 0) + 1);
    for (const failure of failures) this.failHits[failure.regexIndex] = (this.failHits[failure.regexIndex] ?? 0) + 1;
    if (result.ignoredBy !== undefined)
      this.ignoreHits[result.ignoredBy] = (this.ignoreHits[result.ignoredBy] ?? 0) + 1;
    const real = failures.some((f) => !f.nofail);
    if (result.ignoredBy !== undefined || (failures.length > 0 && !real)) {
      this.ignored++;
      if (this.ignoredLines.length <= SHOWN_LINES) this.ignoredLines.push(line);
    } else if (real) {
      this.matched++;
    } else {
      this.missed++;
      if (this.missedLines.length <= SHOWN_LINES) this.missedLines.push(line);
    }
  }

  /** Records a line the guard abandoned. */
  addStalled(line: string): void {
    this.tested++;
    this.stalled++;
    this.missed++;
    if (this.missedLines.length <= SHOWN_LINES) this.missedLines.push(line);
  }

  /** The whole report as text. */
  render(): string {
    const out: string[] = [];
    out.push("", "Running tests", "=============", "");
    out.push(`Use   ${this.description}`);
    if (this.spec.datepattern) out.push(`Use      datepattern : ${this.spec.datepattern}`);
    if (this.spec.maxlines && this.spec.maxlines > 1) out.push(`Use         maxlines : ${this.spec.maxlines}`);
    out.push(`Use         log file : ${this.logName}`, "", "", "Results", "=======", "");
    out.push(...this.regexList("Failregex", this.spec.failregex, this.failHits));
    out.push("", ...this.regexList("Ignoreregex", this.spec.ignoreregex ?? [], this.ignoreHits));
    out.push("", "Date template hits:", "|- [# of hits] date format");
    for (const [template, hits] of [...this.dateHits].sort((a, b) => b[1] - a[1])) out.push(`|  [${hits}] ${template}`);
    out.push("`-", "");
    out.push(`Lines: ${this.tested} lines, ${this.ignored} ignored, ${this.matched} matched, ${this.missed} missed`);
    if (this.stalled > 0)
      out.push(`Abandoned: ${this.stalled} line(s) exceeded the per-line time budget (pathological input)`);
    out.push(`[processed in ${this.seconds.toFixed(2)} sec]`, "");
    out.push(...this.lineList("Ignored", this.ignored, this.ignoredLines));
    out.push(...this.lineList("Missed", this.missed, this.missedLines));
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

  private lineList(title: string, count: number, lines: readonly string[]): string[] {
    if (count === 0) return [];
    if (count > SHOWN_LINES) return [`${title} line(s): too many to print (${count}).`, ""];
    return [`${title} line(s):`, ...lines.map((l) => `${l}`), ""];
  }
}

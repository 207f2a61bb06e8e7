// The human summary of `cloudjail regex`, shaped like fail2ban-regex's so its users read it at a glance.

import { DateDetector } from "../../shared/filter/date/date-detector.js";
import type { Failure } from "../../shared/filter/failure.js";
import { LineStats, type LinesToKeep, SHOWN_LINES } from "../../shared/filter/line-stats.js";
import type { FilterSpec, LineResult } from "../../shared/filter/log-filter.js";
import { hitLine, type RegexHit } from "./line-explainer.js";
import { shortText } from "./resolve-filter.js";

/** Which lines the report prints: all of a kind, or none. */
export interface ReportLines {
  readonly printAll: LinesToKeep;
  readonly printNo: { readonly ignored: boolean; readonly missed: boolean };
}

/** What the report's `Use ...` lines say (fail2ban-regex's "Running tests" part). */
export interface ReportHeader {
  /** The lines naming the filter (see resolveFilter). */
  readonly filter: readonly string[];
  /** --maxlines and --datepattern as given on the command line: fail2ban-regex prints them first. */
  readonly maxLinesOption?: number | undefined;
  readonly datePatternOption?: string | undefined;
  /** The IGNOREREGEX argument. */
  readonly ignoreRegex?: string | undefined;
  /** The log file, or the one literal line. */
  readonly log:
    | { readonly file: string }
    | { readonly line: string }
    | { readonly journal: true; readonly match: string | undefined };
  /** The prefregex with its tags expanded, as fail2ban-regex prints it. */
  readonly expandedPrefRegex?: string | undefined;
}

/** Accumulates per-line outcomes and renders the final report. */
export class RegexReport {
  seconds = 0;
  /** -v: the hits of each failregex; every regex is then listed, with its hits under it (fail2ban-regex -v). */
  verboseHits: ReadonlyMap<number, readonly RegexHit[]> | undefined;
  /** The counts; lines are added here or counted by the filter worker and merged. */
  readonly stats: LineStats;

  constructor(
    private readonly spec: FilterSpec,
    private readonly header: ReportHeader,
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

  /** The whole report as text: fail2ban-regex's, line for line. */
  render(): string {
    const stats = this.stats.current;
    const { header, spec } = this;
    const out: string[] = ["", "Running tests", "=============", ""];
    const maxLines = (n: number) => `Use         maxlines : ${n}`;
    const datePattern = (pattern: string) =>
      `Use      datepattern : ${pattern} : ${new DateDetector({ datepattern: pattern }).describe()}`;
    if (header.maxLinesOption !== undefined) out.push(maxLines(header.maxLinesOption));
    if (header.datePatternOption !== undefined) out.push(datePattern(header.datePatternOption));
    out.push(...header.filter);
    if (header.maxLinesOption === undefined && spec.maxlines !== undefined) out.push(maxLines(spec.maxlines));
    if (header.datePatternOption === undefined && spec.datepattern) out.push(datePattern(spec.datepattern));
    if (header.ignoreRegex !== undefined) out.push(`Use ignoreregex line : ${shortText(header.ignoreRegex)}`);
    if ("file" in header.log) out.push(`Use         log file : ${header.log.file}`, "Use         encoding : UTF-8");
    else if ("journal" in header.log) {
      out.push("Use         systemd journal", "Use         encoding : UTF-8");
      if (header.log.match) out.push(`Use    journal match : ${header.log.match}`);
    } else out.push(`Use      single line : ${shortText(header.log.line)}`);
    out.push("", "", "Results", "=======");
    if (header.expandedPrefRegex !== undefined) {
      out.push("", `Prefregex: ${stats.prefixMatched} total`, `|  ${header.expandedPrefRegex}`, "`-");
    }
    out.push("", ...this.regexList("Failregex", spec.failregex, stats.failHits, this.verboseHits));
    out.push(
      "",
      ...this.regexList("Ignoreregex", spec.ignoreregex ?? [], stats.ignoreHits, this.verboseHits && new Map()),
    );
    // fail2ban-regex drops the date detector for the journal unless a date pattern was set
    const journal = "journal" in header.log;
    if (!journal || header.datePatternOption !== undefined || spec.datepattern) out.push("", "Date template hits:");
    // in the detector's final order, as fail2ban-regex lists them (by hits when that order is unknown)
    const order = stats.dateOrder;
    const dates = [...stats.dateHits].sort((a, b) => (order ? order.indexOf(a[0]) - order.indexOf(b[0]) : b[1] - a[1]));
    if (dates.length > 0) {
      out.push("|- [# of hits] date format", ...dates.map(([template, hits]) => `|  [${hits}] ${template}`), "`-");
    }
    out.push("");
    out.push(
      `Lines: ${stats.tested} lines, ${stats.ignored} ignored, ${stats.matched} matched, ${stats.missed} missed`,
    );
    if (stats.stalled > 0)
      out.push(`Abandoned: ${stats.stalled} line(s) exceeded the per-line time budget (pathological input)`);
    out.push(`[processed in ${this.seconds.toFixed(2)} sec]`, "");
    const { printAll, printNo } = this.lines;
    if (printAll.matched) this.lineList(out, "matched", stats.matched, stats.matchedLines);
    if (!printNo.ignored) this.lineList(out, "ignored", stats.ignored, stats.ignoredLines);
    if (!printNo.missed) this.lineList(out, "missed", stats.missed, stats.missedLines);
    return `${out.join("\n")}\n`;
  }

  /** The regexes that matched, with their hits (fail2ban-regex lists the others only with -v). */
  private regexList(
    title: string,
    patterns: readonly string[],
    hits: readonly number[],
    verbose?: ReadonlyMap<number, readonly RegexHit[]>,
  ): string[] {
    const total = hits.reduce((a, b) => a + b, 0);
    const matched = patterns.flatMap((pattern, i) =>
      (hits[i] ?? 0) > 0 || verbose
        ? [`|  ${String(i + 1).padStart(2)}) [${hits[i] ?? 0}] ${pattern}`, ...(verbose?.get(i) ?? []).map(hitLine)]
        : [],
    );
    if (matched.length === 0) return [`${title}: ${total} total`];
    return [`${title}: ${total} total`, "|-  #) [# of hits] regular expression", ...matched, "`-"];
  }

  /** fail2ban-regex's printLines: appends to `out` a `|-` list of the lines, or how to see them all. */
  private lineList(
    out: string[],
    kind: "matched" | "ignored" | "missed",
    count: number,
    lines: readonly string[],
  ): void {
    if (count === 0) return;
    const header = `${kind[0]!.toUpperCase()}${kind.slice(1)} line(s):`;
    if (count >= (this.lines.printAll.shown ?? SHOWN_LINES) && !this.lines.printAll[kind]) {
      out.push(`${header} too many to print.  Use --print-all-${kind} to print all ${count} lines`);
      return;
    }
    // one push per line: --print-all-* may list hundreds of thousands, more than a call takes as arguments
    out.push(`|- ${header}`);
    for (const line of lines) out.push(`|  ${line.trimEnd()}`);
    out.push("`-");
  }
}

// The statistics of a filter run, as fail2ban-regex reports them: lines matched, ignored and missed, hits per
// failregex and ignoreregex, date template hits, the first few ignored and missed lines (all of them, and the
// matched lines, when asked: fail2ban-regex's --print-all-*). Kept by the filter
// worker for the lines it can settle itself and by `cloudjail regex` for the rest; parts taken on either side merge.
import type { Failure } from "./failure.js";
import type { LineResult } from "./log-filter.js";

/**
 * Ignored and missed lines fail2ban-regex shows: fewer than this many (its `_maxlines`, 20, or --maxlines when given:
 * fail2ban-regex uses that option for both).
 */
export const SHOWN_LINES = 20;

/** Which kinds of lines to keep all of (fail2ban-regex's --print-all-matched, -ignored, -missed). */
export interface LinesToKeep {
  readonly matched?: boolean;
  readonly ignored?: boolean;
  readonly missed?: boolean;
  /** The report's threshold (see SHOWN_LINES): one line more is kept, so that "too many to print" can be told. */
  readonly shown?: number;
}

/** Plain, serializable statistics (they cross threads). */
export interface LineStatsData {
  tested: number;
  /** Lines the prefregex matched (fail2ban-regex's "Prefregex: N total"). */
  prefixMatched: number;
  matched: number;
  ignored: number;
  missed: number;
  stalled: number;
  failHits: number[];
  ignoreHits: number[];
  /** Hits per date template name, in order of first hit. */
  dateHits: Array<[string, number]>;
  missedLines: string[];
  ignoredLines: string[];
  /** Kept only with LinesToKeep.matched. */
  matchedLines: string[];
  /** Missed lines counted before this part (another part) that a later match took: merge removes them. */
  takenMissed: string[];
  /** The date detector's template order at the end of the run (fail2ban-regex lists hits in that order). */
  dateOrder?: string[];
}

/** Accumulates line outcomes; `take()` hands over what was counted since the last take. */
export class LineStats {
  private data: LineStatsData;
  /** Ignored and missed lines kept (unless all are). */
  private readonly kept: number;
  private readonly dateIndex = new Map<string, number>();

  constructor(
    private readonly failregexCount: number,
    private readonly ignoreregexCount: number,
    private readonly keepAll: LinesToKeep = {},
    /**
     * The statistics are handed over in parts (take) to be merged elsewhere: a missed line a later match takes is
     * then removed at the merge, where the first line of that text (as fail2ban-regex removes it) is known.
     */
    private readonly inParts = false,
  ) {
    this.data = LineStats.empty(failregexCount, ignoreregexCount);
    this.kept = (keepAll.shown ?? SHOWN_LINES) + 1;
  }

  static empty(failregexCount: number, ignoreregexCount: number): LineStatsData {
    return {
      tested: 0,
      prefixMatched: 0,
      matched: 0,
      ignored: 0,
      missed: 0,
      stalled: 0,
      failHits: new Array<number>(failregexCount).fill(0),
      ignoreHits: new Array<number>(ignoreregexCount).fill(0),
      dateHits: [],
      missedLines: [],
      ignoredLines: [],
      matchedLines: [],
      takenMissed: [],
    };
  }

  /** The statistics so far. */
  get current(): Readonly<LineStatsData> {
    return this.data;
  }

  /** Records a line's outcome; `failures` are the result's, after host resolution if any. */
  add(line: string, result: LineResult, failures: readonly Failure[]): void {
    const data = this.data;
    // fail2ban-regex: earlier buffered lines this line's match took count as matched, no longer as missed
    for (const taken of result.takenLines ?? []) {
      const index = this.inParts ? -1 : data.missedLines.indexOf(taken);
      if (index >= 0) data.missedLines.splice(index, 1);
      else data.takenMissed.push(taken);
      if (this.keepAll.matched) data.matchedLines.push(taken);
      data.matched++;
      data.missed--;
    }
    data.tested++;
    if (result.prefixMatched) data.prefixMatched++;
    if (result.dateTemplate) this.countDate(result.dateTemplate, 1);
    for (const failure of failures) data.failHits[failure.regexIndex] = (data.failHits[failure.regexIndex] ?? 0) + 1;
    if (result.ignoredBy !== undefined)
      data.ignoreHits[result.ignoredBy] = (data.ignoreHits[result.ignoredBy] ?? 0) + 1;
    // fail2ban-regex: a line is ignored when an ignoreregex or any F-NOFAIL match took it, even beside a failure
    let real = false;
    let nofail = false;
    for (const failure of failures) {
      if (failure.nofail) nofail = true;
      else real = true;
    }
    if (result.ignoredBy !== undefined || nofail) {
      data.ignored++;
      if (this.keepAll.ignored || data.ignoredLines.length < this.kept) data.ignoredLines.push(line);
    } else if (real) {
      data.matched++;
      if (this.keepAll.matched) data.matchedLines.push(line);
    } else {
      data.missed++;
      if (this.keepAll.missed || data.missedLines.length < this.kept) data.missedLines.push(line);
    }
  }

  /** Remembers the detector's final template order (see LineStatsData.dateOrder). */
  setDateOrder(templates: readonly string[]): void {
    this.data.dateOrder = [...templates];
  }

  /** Records a line the guard abandoned: a missed line. */
  addStalled(line: string): void {
    const data = this.data;
    data.tested++;
    data.stalled++;
    data.missed++;
    if (this.keepAll.missed || data.missedLines.length < this.kept) data.missedLines.push(line);
  }

  /** Adds statistics counted elsewhere (lines that came before any added after this). */
  merge(other: Readonly<LineStatsData>): void {
    const data = this.data;
    // the first missed line of that text goes: one merged before, else one of this part
    const incoming = [...other.missedLines];
    for (const taken of other.takenMissed) {
      const index = data.missedLines.indexOf(taken);
      if (index >= 0) data.missedLines.splice(index, 1);
      else {
        const own = incoming.indexOf(taken);
        if (own >= 0) incoming.splice(own, 1);
      }
    }
    data.tested += other.tested;
    data.prefixMatched += other.prefixMatched;
    data.matched += other.matched;
    data.ignored += other.ignored;
    data.missed += other.missed;
    data.stalled += other.stalled;
    other.failHits.forEach((hits, i) => {
      data.failHits[i] = (data.failHits[i] ?? 0) + hits;
    });
    other.ignoreHits.forEach((hits, i) => {
      data.ignoreHits[i] = (data.ignoreHits[i] ?? 0) + hits;
    });
    for (const [template, hits] of other.dateHits) this.countDate(template, hits);
    if (other.dateOrder) data.dateOrder = other.dateOrder;
    for (const line of incoming)
      if (this.keepAll.missed || data.missedLines.length < this.kept) data.missedLines.push(line);
    for (const line of other.ignoredLines)
      if (this.keepAll.ignored || data.ignoredLines.length < this.kept) data.ignoredLines.push(line);
    if (this.keepAll.matched) for (const line of other.matchedLines) data.matchedLines.push(line);
  }

  /** The statistics counted since the last take (or the start), and a fresh start. */
  take(): LineStatsData {
    const taken = this.data;
    this.data = LineStats.empty(this.failregexCount, this.ignoreregexCount);
    this.dateIndex.clear();
    return taken;
  }

  /** Whether nothing was counted since the last take. */
  get isEmpty(): boolean {
    return this.data.tested === 0;
  }

  private countDate(template: string, hits: number): void {
    const index = this.dateIndex.get(template);
    if (index === undefined) {
      this.dateIndex.set(template, this.data.dateHits.length);
      this.data.dateHits.push([template, hits]);
    } else {
      this.data.dateHits[index]![1] += hits;
    }
  }
}

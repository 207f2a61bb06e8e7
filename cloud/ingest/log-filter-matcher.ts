// The filter engine behind the ingest pipeline. In the Lambdas every jail's LogFilter runs in a watched worker thread
// (GuardedLogFilter): log lines are attacker-controlled, and a line crafted to make the regex engine backtrack is
// abandoned after its time budget instead of stalling the function. One worker per jail and container, so compiled
// expressions are reused across deliveries; inside it, one filter state per log stream (see source-filters).
import type { Failure } from "../../shared/filter/failure.js";
import type { LineResult, LogFilterOptions } from "../../shared/filter/log-filter.js";
import { SourceFilters } from "../../shared/filter/source-filters.js";
import { type GuardedLineResult, GuardedLogFilter, isStalled } from "../../shared/filter/watchdog/guarded-filter.js";
import { parseIp } from "../../shared/net/ip.js";
import type { DeployedJail } from "../deployment/deployment-config.js";
import type { EventFailure, LineMatcher, MatchInput, MatchOutput } from "./line-matcher.js";

function eventFailure(failure: Failure, eventTime: number): EventFailure | undefined {
  if (failure.nofail) return undefined;
  const ip = failure.ip ?? failure.id;
  // Only addresses can be banned in WAF or a network ACL; a failure id without an address is skipped.
  if (!parseIp(ip)) return undefined;
  return {
    ip,
    ...(failure.ip !== undefined && failure.id !== failure.ip ? { fid: failure.id } : {}),
    time: failure.time ?? eventTime,
    line: failure.matches.join("\n"),
  };
}

interface MutableOutput {
  failures: EventFailure[];
  stalled: boolean;
  unidentified: number;
  ambiguousHost: boolean;
}

/** The output of an event in which no line matched (shared, never changed). */
const NOTHING: MatchOutput = Object.freeze({
  failures: Object.freeze([]) as readonly EventFailure[],
  stalled: false,
  unidentified: 0,
  ambiguousHost: false,
});

/** Splits events into lines (a CloudWatch event may hold several) and maps the line results back to the events. */
async function matchLines(
  events: readonly MatchInput[],
  run: (lines: string[], nows: number[]) => Promise<GuardedLineResult[]>,
): Promise<MatchOutput[]> {
  const lines: string[] = [];
  const nows: number[] = [];
  const owner: number[] = [];
  events.forEach((event, index) => {
    // most events are one line: split only those that hold a line break
    const parts = event.message.includes("\n") ? event.message.split(/\r?\n/) : [event.message];
    for (const line of parts) {
      if (line === "") continue;
      lines.push(line);
      // The event time stands for "now": year inference and dateless lines use it, as they would on the host.
      nows.push(event.eventTime);
      owner.push(index);
    }
  });
  const results = await run(lines, nows);
  // Most lines of a delivery match nothing: they share one empty output, and only the others get their own.
  const outputs: MatchOutput[] = new Array(events.length).fill(NOTHING);
  const own = (event: number): MutableOutput => {
    let output = outputs[event] as MutableOutput;
    if (output === NOTHING) {
      output = { failures: [], stalled: false, unidentified: 0, ambiguousHost: false };
      outputs[event] = output;
    }
    return output;
  };
  results.forEach((result, index) => {
    if (!isStalled(result)) {
      const line = result as LineResult;
      if (!line.unidentified && !line.ambiguousHost && line.failures.length === 0) return;
    }
    const output = own(owner[index]!);
    if (isStalled(result)) {
      output.stalled = true;
      return;
    }
    if ((result as LineResult).unidentified) output.unidentified++;
    if ((result as LineResult).ambiguousHost) output.ambiguousHost = true;
    for (const failure of (result as LineResult).failures) {
      const found = eventFailure(failure, events[owner[index]!]!.eventTime);
      if (found) output.failures.push(found);
    }
  });
  return outputs;
}

function filterOptions(jail: DeployedJail): LogFilterOptions {
  return { useDns: "no", ...(jail.logTimeZone ? { logTimeZone: jail.logTimeZone } : {}) };
}

/** A matcher running the jail's LogFilter in this thread (no time guard: for trusted input and benchmarks). */
export function unguardedLineMatcher(jail: DeployedJail): LineMatcher {
  const filters = new SourceFilters({ ...jail.filter }, filterOptions(jail));
  return {
    match: (events, source) => {
      const filter = filters.get(source);
      return matchLines(events, async (lines, nows) =>
        lines.map((line, i) => filter.processLine(line, { now: nows[i]! })),
      );
    },
  };
}

/**
 * A matcher running the jail's LogFilter in a guarded worker started on first use; `workerPath` is the bundled
 * worker script (filter-worker.mjs beside the Lambda handler, dist/filter-worker.js for the CLI).
 */
export function guardedLineMatcher(jail: DeployedJail, workerPath: string | URL, lineBudgetMs?: number): LineMatcher {
  let guarded: Promise<GuardedLogFilter> | undefined;
  return {
    match: async (events, source) => {
      guarded ??= GuardedLogFilter.start({ ...jail.filter }, filterOptions(jail), {
        workerPath,
        ...(lineBudgetMs ? { lineBudgetMs } : {}),
      });
      let filter: GuardedLogFilter;
      try {
        filter = await guarded;
      } catch (error) {
        // A worker that could not start is tried again on the next delivery, not given up for the container's life.
        guarded = undefined;
        throw error;
      }
      return matchLines(events, (lines, nows) =>
        filter.processBatch(
          lines,
          nows.map((now) => ({ now })),
          source,
        ),
      );
    },
  };
}

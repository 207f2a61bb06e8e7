// `cloudjail regex`: fail2ban-regex's counterpart. Reads a log (or one line), runs one filter over it through the
// ReDoS guard, and prints either fail2ban-regex's summary or one JSON object per failure.
import { lookup } from "node:dns/promises";
import { closeSync, existsSync, openSync, statSync } from "node:fs";
import { join } from "node:path";
import { journalMatchArgs, journalMatchExpression } from "../../host/sources/journal-entry.js";
import { ZoneClock } from "../../shared/filter/date/zone-clock.js";
import type { Failure } from "../../shared/filter/failure.js";
import { isReportedFailure } from "../../shared/filter/failure-json.js";
import { formatFailure, needsMatches, type OutFormat } from "../../shared/filter/failure-out.js";
import type { LinesToKeep } from "../../shared/filter/line-stats.js";
import type { FilterSpec, LineContext, LineResult } from "../../shared/filter/log-filter.js";
import { expandFailRegexTags, localizeGlobalFlags } from "../../shared/filter/regex/fail-regex.js";
import { GuardedLogFilter, isStalled } from "../../shared/filter/watchdog/guarded-filter.js";
import type { FilePart } from "../../shared/filter/watchdog/protocol.js";
import type { CommandContext } from "../command-context.js";
import {
  type JournalLog,
  journalReadArgs,
  journalTimeText,
  parseJournalLog,
  readJournal,
} from "../regex/journal-log.js";
import { LineExplainer } from "../regex/line-explainer.js";
import { readLines } from "../regex/line-reader.js";
import { parseRegexArgs, REGEX_USAGE, type RegexPlan } from "../regex/regex-args.js";
import { RegexReport } from "../regex/regex-report.js";
import { resolveFilter, resolveIgnoreRegex } from "../regex/resolve-filter.js";
import { UsageError } from "../usage-error.js";

/** Logs from this size on show progress (summary output on a terminal). */
const PROGRESS_FROM_BYTES = 8 << 20;

/** Where the log comes from: a file, or one literal line given on the command line. */
type LogSource =
  | { readonly kind: "file"; readonly path: string; readonly size: number }
  | { readonly kind: "line"; readonly line: string }
  | JournalLog;

function openLog(argument: string): LogSource {
  if (existsSync(argument)) {
    const stat = statSync(argument);
    if (!stat.isFile()) throw new UsageError(`regex: LOG '${argument}' is not a regular file`);
    // opened now, so that an unreadable file is reported before any work
    closeSync(openSync(argument, "r"));
    return { kind: "file", path: argument, size: stat.size };
  }
  if (!/\s/.test(argument) && /[/\\]/.test(argument)) {
    throw new UsageError(`regex: cannot read log file '${argument}': no such file`);
  }
  return { kind: "line", line: argument };
}

class HostResolver {
  private readonly cache = new Map<string, Promise<string[]>>();
  /** Resolves a host name to its addresses, like fail2ban with usedns=yes; unresolvable names give none. */
  resolve(name: string): Promise<string[]> {
    let pending = this.cache.get(name);
    if (!pending) {
      pending = lookup(name, { all: true }).then(
        (answers) => answers.map((a) => a.address),
        () => [],
      );
      this.cache.set(name, pending);
    }
    return pending;
  }
}

/** Runs `cloudjail regex`; returns the exit code. */
export async function run(argv: string[], context: CommandContext): Promise<number> {
  const plan: RegexPlan = parseRegexArgs(argv);
  if (plan.help) {
    process.stdout.write(`${REGEX_USAGE}\n`);
    return 0;
  }
  const configDir = plan.configDir ?? context.bundledConfigDir;
  if (plan.configDir && !existsSync(join(plan.configDir, "filter.d"))) {
    throw new UsageError(`regex: --config '${plan.configDir}' has no filter.d/ folder`);
  }
  // as in fail2ban-regex, a file of that name is read as a file
  const journal = existsSync(plan.log) ? undefined : parseJournalLog(plan.log);
  const resolved = resolveFilter(
    plan.filter,
    configDir,
    { datepattern: plan.datePattern, maxlines: plan.maxLines },
    journal ? "systemd" : "auto",
  );
  const spec = plan.ignoreRegex
    ? {
        ...resolved.spec,
        ignoreregex: [...(resolved.spec.ignoreregex ?? []), ...resolveIgnoreRegex(plan.ignoreRegex, configDir)],
      }
    : resolved.spec;
  // --out prints failures (JSON or a fail2ban-regex -o form) instead of the summary
  const out = plan.out;
  const printing = out !== undefined;
  const useDns = plan.raw ? "raw" : (plan.useDns ?? "yes");
  const log: LogSource = journal ?? openLog(plan.log);
  const journalMatch = plan.journalMatch ?? journalMatchExpression(resolved.journalmatch ?? []);
  const filter = await GuardedLogFilter.start(
    spec,
    {
      useDns,
      checkAllRegex: !printing && plan.checkAll,
      // --out shows captured fields; the matched lines only for the forms that print them (msg, <matches>)
      reportMatches: out === undefined || needsMatches(out),
      ...(plan.timeZone ? { timeZone: plan.timeZone } : {}),
    },
    { workerPath: join(context.distDir, "filter-worker.js") },
  );
  const report = new RegexReport(
    spec,
    {
      filter: resolved.description,
      maxLinesOption: plan.maxLines,
      datePatternOption: plan.datePattern,
      ignoreRegex: plan.ignoreRegex,
      log:
        log.kind === "file"
          ? { file: log.path }
          : log.kind === "journal"
            ? { journal: true, match: journalMatch ? journalMatchArgs(journalMatch).join(" ") : undefined }
            : { line: log.line },
      expandedPrefRegex: spec.prefregex
        ? localizeGlobalFlags(expandFailRegexTags(spec.prefregex, useDns === "raw" ? "raw" : "yes"))
        : undefined,
    },
    { printAll: plan.printAll, printNo: plan.printNo },
  );
  const resolver = new HostResolver();
  // one context object for the whole run
  const lineContext: LineContext = { now: plan.now ?? Date.now() / 1000 };
  const explainer = plan.verbose
    ? new LineExplainer(spec, { debuggex: plan.debuggex, useDns, now: lineContext.now })
    : undefined;
  const started = performance.now();

  /** Settles one line's result here: host names resolved, then printed (--out) or counted (summary). */
  const settleLine = async (lineNumber: number, line: string, result: LineResult) => {
    if (result.unidentified) reportUnidentified(lineNumber, result.unidentified, spec);
    const failures = result.failures.some((f) => f.isHostName) ? await resolveHosts(result, resolver) : result.failures;
    if (explainer) process.stdout.write(explainer.explain(lineNumber, line, result, failures));
    if (!printing) report.add(line, result, failures);
    else {
      let text = "";
      for (const failure of failures) if (isReportedFailure(failure)) text += formatFailure(out!, lineNumber, failure);
      if (text !== "") process.stdout.write(text);
    }
  };
  const reportStalled = (lineNumber: number, line: string, budgetMs: number) => {
    process.stderr.write(`cloudjail regex: line ${lineNumber}: abandoned after ${budgetMs} ms (pathological input)\n`);
    if (!printing) report.addStalled(line);
  };

  try {
    if (log.kind === "line") {
      const [result] = await filter.processBatch([log.line], [lineContext]);
      if (result && isStalled(result)) reportStalled(1, log.line, result.budgetMs);
      else if (result) await settleLine(1, log.line, result);
    } else if (log.kind === "journal") {
      // entries carry their time: no date is searched in them (fail2ban-regex drops the date pattern too)
      const timeText = journalTimeText(new ZoneClock(plan.timeZone), Date.now() / 1000);
      let entry = 0;
      const said = await readJournal(journalReadArgs(log, journalMatch), async (lines) => {
        const timeTexts = lines.map((line) => (line.time !== undefined ? timeText(line.time) : ""));
        const contexts = lines.map((line, i) =>
          line.time !== undefined ? { now: lineContext.now, time: line.time, timeText: timeTexts[i]! } : lineContext,
        );
        const results = await filter.processBatch(
          lines.map((line) => line.text),
          contexts,
        );
        for (const [i, result] of results.entries()) {
          entry++;
          const text = `${timeTexts[i]}${lines[i]!.text}`;
          if (isStalled(result)) reportStalled(entry, text, result.budgetMs);
          else await settleLine(entry, text, result);
        }
      });
      // journalctl's own notes (entries hidden from this user...) reach the user too
      for (const note of said.split("\n").filter(Boolean))
        process.stderr.write(`cloudjail regex: journalctl: ${note}\n`);
    } else if (explainer) {
      // -v explains each line here, in order: the lines go through the guarded filter in batches
      await explainFile(log.path, filter, lineContext, settleLine, reportStalled);
    } else {
      await runFile(
        log,
        filter,
        { out, resolveNames: useDns === "yes" || useDns === "warn", keepAllLines: plan.printAll },
        lineContext,
        {
          part: async (part) => {
            if ("text" in part) process.stdout.write(part.text);
            else if ("stats" in part) report.stats.merge(part.stats);
            else await settleLine(part.deferred.line, part.deferred.text, part.deferred.result);
          },
          stalled: (line) => reportStalled(line.lineNumber, line.text, line.budgetMs),
          progress: (bytes) => {
            if (printing || process.stderr.isTTY !== true || log.size < PROGRESS_FROM_BYTES) return;
            process.stderr.write(
              `\r  ${((100 * bytes) / log.size).toFixed(0).padStart(3)}%  ${report.tested.toLocaleString("en")} lines`,
            );
          },
        },
      );
      if (!printing && process.stderr.isTTY === true && log.size >= PROGRESS_FROM_BYTES)
        process.stderr.write("\r\x1b[K");
    }
  } finally {
    await filter.close();
  }
  report.seconds = (performance.now() - started) / 1000;
  if (explainer) report.verboseHits = explainer.hits;
  if (!printing) process.stdout.write(report.render());
  return 0;
}

/** Lines handed to the filter at once by `regex -v`. */
const EXPLAIN_BATCH = 512;

/** `regex -v` over a file: every line through the guarded filter, settled (and explained) in order. */
async function explainFile(
  path: string,
  filter: GuardedLogFilter,
  context: LineContext,
  settle: (lineNumber: number, line: string, result: LineResult) => Promise<void>,
  stalled: (lineNumber: number, line: string, budgetMs: number) => void,
): Promise<void> {
  let batch: string[] = [];
  let first = 1;
  const flush = async () => {
    const results = await filter.processBatch(
      batch,
      batch.map(() => context),
    );
    for (const [i, result] of results.entries()) {
      if (isStalled(result)) stalled(first + i, batch[i]!, result.budgetMs);
      else await settle(first + i, batch[i]!, result);
    }
    first += batch.length;
    batch = [];
  };
  for (const line of readLines(path)) {
    batch.push(line);
    if (batch.length >= EXPLAIN_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
}

/** What a file run hands over, in line order. */
interface FileOutput {
  part(part: FilePart): void | Promise<void>;
  stalled(line: { lineNumber: number; text: string; budgetMs: number }): void;
  progress(bytes: number): void;
}

/**
 * Runs a log file through the worker, which reads it itself and sends back output text or statistics, plus the
 * lines whose host names must be resolved here. Output is handled in order, one chunk after the other, even while
 * a name is being resolved; what was received is handled before this returns, also on failure.
 */
async function runFile(
  log: { readonly path: string; readonly size: number },
  filter: GuardedLogFilter,
  how: {
    readonly out: OutFormat | undefined;
    readonly resolveNames: boolean;
    readonly keepAllLines: LinesToKeep;
  },
  context: LineContext,
  output: FileOutput,
): Promise<void> {
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (task: () => void | Promise<void>) => {
    queue = queue.then(task);
  };
  let lastProgress = 0;
  try {
    await filter.processFile(
      { path: log.path, start: 0, end: log.size, firstLine: 1 },
      {
        mode: how.out ? "failures" : "summary",
        ...(how.out ? { out: how.out } : {}),
        deferHostNames: how.resolveNames,
        keepAllLines: how.keepAllLines,
      },
      context,
      {
        parts: (parts, next) => {
          enqueue(async () => {
            for (const part of parts) await output.part(part);
            const now = Date.now();
            if (now - lastProgress >= 250) {
              lastProgress = now;
              output.progress(next);
            }
          });
        },
        stalled: (line) => enqueue(() => output.stalled(line)),
      },
    );
  } finally {
    await queue;
  }
}

/**
 * A failregex matched but neither it nor the prefregex captured an address or failure id (an optional `<ADDR>` that
 * did not take part): fail2ban-regex counts the line as missed and says nothing; we say it on standard error.
 */
function reportUnidentified(lineNumber: number, regexes: readonly number[], spec: FilterSpec): void {
  for (const index of regexes) {
    process.stderr.write(
      `cloudjail regex: line ${lineNumber}: ${spec.source ?? "filter"} failregex[${index + 1}] matched, but neither it nor ` +
        "the prefregex captured an address or failure id: the line is not counted\n",
    );
  }
}

async function resolveHosts(result: LineResult, resolver: HostResolver): Promise<Failure[]> {
  const failures: Failure[] = [];
  for (const failure of result.failures) {
    if (!failure.isHostName) {
      failures.push(failure);
      continue;
    }
    for (const address of await resolver.resolve(failure.id)) {
      failures.push({ ...failure, id: address, isHostName: false, fields: { ...failure.fields, host: failure.id } });
    }
  }
  return failures;
}

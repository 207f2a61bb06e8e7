// `cloudjail regex`: fail2ban-regex's counterpart. Reads a log (or one line), runs one filter over it through the
// ReDoS guard, and prints either fail2ban-regex's summary or one JSON object per failure.
import { lookup } from "node:dns/promises";
import { closeSync, existsSync, openSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Failure } from "../../shared/filter/failure.js";
import { failureJson, isReportedFailure } from "../../shared/filter/failure-json.js";
import type { LineContext, LineResult } from "../../shared/filter/log-filter.js";
import { GuardedLogFilter, isStalled } from "../../shared/filter/watchdog/guarded-filter.js";
import type { CommandContext } from "../command-context.js";
import { readLines } from "../regex/line-reader.js";
import { parseRegexArgs, REGEX_USAGE, type RegexPlan } from "../regex/regex-args.js";
import { RegexReport } from "../regex/regex-report.js";
import { resolveFilter, resolveIgnoreRegex } from "../regex/resolve-filter.js";
import { UsageError } from "../usage-error.js";

const BATCH = 4096;

/** Where the log comes from: a file, or one literal line given on the command line. */
function openLog(
  argument: string,
  onProgress: (bytes: number) => void,
): { lines: Iterable<string>; name: string; size: number; path?: string } {
  if (existsSync(argument)) {
    const stat = statSync(argument);
    if (!stat.isFile()) throw new UsageError(`regex: LOG '${argument}' is not a regular file`);
    // opened now, so that an unreadable file is reported before any work
    closeSync(openSync(argument, "r"));
    return { lines: readLines(argument, onProgress), name: argument, size: stat.size, path: argument };
  }
  if (!/\s/.test(argument) && /[/\\]/.test(argument)) {
    throw new UsageError(`regex: cannot read log file '${argument}': no such file`);
  }
  return { lines: [argument], name: "(command line)", size: 0 };
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
  const resolved = resolveFilter(plan.filter, configDir, { datepattern: plan.datePattern, maxlines: plan.maxLines });
  const spec = plan.ignoreRegex
    ? {
        ...resolved.spec,
        ignoreregex: [...(resolved.spec.ignoreregex ?? []), ...resolveIgnoreRegex(plan.ignoreRegex, configDir)],
      }
    : resolved.spec;
  const json = plan.out === "json";
  const filter = await GuardedLogFilter.start(
    spec,
    {
      useDns: plan.raw ? "raw" : "yes",
      checkAllRegex: !json,
      // the JSON output shows captured fields, never the matched lines
      reportMatches: !json,
      ...(plan.timeZone ? { timeZone: plan.timeZone } : {}),
    },
    { workerPath: join(context.distDir, "filter-worker.js") },
  );
  const report = new RegexReport(spec, resolved.description);
  const resolver = new HostResolver();
  const showProgress = !json && process.stderr.isTTY === true;
  let lastProgress = 0;
  const log = openLog(plan.log, (bytes) => {
    if (!showProgress || log.size < 8 << 20) return;
    const now = Date.now();
    if (now - lastProgress < 250) return;
    lastProgress = now;
    process.stderr.write(
      `\r  ${((100 * bytes) / log.size).toFixed(0).padStart(3)}%  ${report.tested.toLocaleString("en")} lines`,
    );
  });
  report.logName = log.name;
  const now = plan.now ?? Date.now() / 1000;
  const started = performance.now();
  const out: string[] = [];

  // one context object for the whole run: a batch of them crosses to the worker as back-references
  const lineContext: LineContext = { now };
  const flush = async (lines: string[], numbers: number[]) => {
    if (json && plan.raw) {
      // nothing to resolve and no summary: the worker writes the output text itself
      const batch = await filter.processBatchAsJson(lines, numbers, lineContext);
      for (const line of batch.stalled) {
        process.stderr.write(
          `cloudjail regex: line ${numbers[line.index]}: abandoned after ${line.budgetMs} ms (pathological input)\n`,
        );
      }
      if (batch.text !== "") process.stdout.write(batch.text);
      return;
    }
    const contexts: LineContext[] = new Array(lines.length).fill(lineContext);
    const results = await filter.processBatch(lines, contexts);
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      const lineNumber = numbers[i]!;
      if (isStalled(result)) {
        process.stderr.write(
          `cloudjail regex: line ${lineNumber}: abandoned after ${result.budgetMs} ms (pathological input)\n`,
        );
        report.addStalled(lines[i]!);
        continue;
      }
      // only host names need the (asynchronous) resolver; most lines carry no failure at all
      const failures =
        plan.raw || !result.failures.some((f) => f.isHostName) ? result.failures : await resolveHosts(result, resolver);
      // the JSON output has no summary, so its statistics are not kept
      if (!json) report.add(lines[i]!, result, failures);
      else for (const failure of failures) if (isReportedFailure(failure)) out.push(failureJson(lineNumber, failure));
    }
    if (out.length > 0) {
      process.stdout.write(`${out.join("\n")}\n`);
      out.length = 0;
    }
  };

  if (json && plan.raw && log.path !== undefined) {
    // the fastest path: the worker reads the file itself and sends back only the output text
    try {
      const stalled = await filter.processFileAsJson(
        { path: log.path, start: 0, end: log.size, firstLine: 1 },
        lineContext,
        (text) => process.stdout.write(text),
      );
      for (const line of stalled) {
        process.stderr.write(
          `cloudjail regex: line ${line.lineNumber}: abandoned after ${line.budgetMs} ms (pathological input)\n`,
        );
      }
    } finally {
      await filter.close();
    }
    return 0;
  }

  // the next batch is read while the worker runs the previous one; batches still finish (and print) in order
  let pending: Promise<void> = Promise.resolve();
  try {
    let batch: string[] = [];
    let numbers: number[] = [];
    let lineNumber = 0;
    for (const line of log.lines) {
      lineNumber++;
      if (line === "" || line.startsWith("#")) continue;
      batch.push(line);
      numbers.push(lineNumber);
      if (batch.length >= BATCH) {
        await pending;
        pending = flush(batch, numbers);
        // handled when awaited before the next batch; never reported as unhandled in between
        pending.catch(() => {});
        batch = [];
        numbers = [];
      }
    }
    await pending;
    if (batch.length > 0) await flush(batch, numbers);
  } finally {
    // a failed batch must not be left running (nor its rejection unhandled) when the reading failed
    await pending.catch(() => {});
    await filter.close();
  }
  if (showProgress && log.size >= 8 << 20) process.stderr.write("\r\x1b[K");
  report.seconds = (performance.now() - started) / 1000;
  if (!json) process.stdout.write(report.render());
  return 0;
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

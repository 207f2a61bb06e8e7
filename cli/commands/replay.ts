// `cloudjail replay`: whole jails over historical logs, in log time, printing the bans and unbans they would make.
// The same filter engine and jail logic as the daemon and the Lambda, on a throwaway (or given) SQLite store.
import { existsSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { globMatches } from "../../host/sources/glob.js";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { ConfigError } from "../../shared/errors.js";
import { filterSpecFromDefinition } from "../../shared/filter/filter-spec.js";
import { GuardedLogFilter, isStalled } from "../../shared/filter/watchdog/guarded-filter.js";
import type { Decision, Failure } from "../../shared/jail/decision.js";
import type { JailConfig } from "../../shared/jail/jail-config.js";
import { loadJails } from "../../shared/jail/jail-config-reader.js";
import { jailPolicy } from "../../shared/jail/jail-policy.js";
import { JailRunner, replayFailures } from "../../shared/jail/jail-runner.js";
import { SqliteStore } from "../../shared/store/sqlite-store.js";
import type { CommandContext } from "../command-context.js";
import { readLines } from "../regex/line-reader.js";
import { parseReplayArgs, REPLAY_USAGE } from "../replay/replay-args.js";
import { formatDecision } from "../replay/replay-output.js";
import { UsageError } from "../usage-error.js";

const BATCH = 4096;

/** Which jails read which log: named jails read every log; otherwise a jail reads the logs its logpath names. */
function assignLogs(jails: readonly JailConfig[], logs: readonly string[], named: boolean): Map<JailConfig, string[]> {
  const plan = new Map<JailConfig, string[]>();
  for (const log of logs) {
    const absolute = resolve(log);
    const readers = named
      ? jails
      : jails.filter((jail) =>
          jail.logpath.some(
            (path) => globMatches(path.pattern, absolute) || globMatches(basename(path.pattern), basename(absolute)),
          ),
        );
    if (readers.length === 0) {
      const enabled = jails.map((jail) => jail.name).join(", ") || "none";
      throw new UsageError(
        `replay: no enabled jail has a logpath matching '${log}' (enabled: ${enabled}); name jails with --jail`,
      );
    }
    for (const jail of readers) plan.set(jail, [...(plan.get(jail) ?? []), log]);
  }
  return plan;
}

async function failuresOf(
  jail: JailConfig,
  logs: readonly string[],
  configDir: string,
  context: CommandContext,
  now: number,
  timeZone: string | undefined,
): Promise<{ failures: Failure[]; lines: number; stalled: number }> {
  const spec = jail.filter ?? { name: jail.name, options: {} };
  let definition: ReturnType<typeof loadFilterDefinition>;
  try {
    definition = loadFilterDefinition(configDir, spec, jail.options, { backend: jail.backend });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const origin = jail.origins.filter;
    throw new ConfigError((error as Error).message, {
      file: origin?.file,
      line: origin?.line,
      section: jail.name,
      option: "filter",
    });
  }
  const logTimeZone = jail.options.logtimezone?.trim();
  const filter = await GuardedLogFilter.start(
    filterSpecFromDefinition(definition),
    {
      useDns: jail.usedns === "raw" ? "raw" : "no",
      ...(timeZone ? { timeZone } : {}),
      ...(logTimeZone ? { logTimeZone } : {}),
    },
    { workerPath: join(context.distDir, "filter-worker.js") },
  );
  const failures: Failure[] = [];
  let lines = 0;
  try {
    for (const log of logs) {
      let batch: string[] = [];
      let numbers: number[] = [];
      const flush = async () => {
        const results = await filter.processBatch(
          batch,
          batch.map(() => ({ now })),
        );
        results.forEach((result, i) => {
          if (isStalled(result)) {
            process.stderr.write(
              `cloudjail replay: ${log}:${numbers[i]}: abandoned after ${result.budgetMs} ms (pathological input)\n`,
            );
            return;
          }
          for (const failure of result.failures) {
            if (failure.nofail || failure.id === "" || failure.isHostName || failure.time === undefined) continue;
            failures.push({
              jail: jail.name,
              ip: failure.ip ?? failure.id,
              fid: failure.id,
              time: failure.time,
              eventId: `${log}:${numbers[i]}`,
              line: failure.matches.at(-1) ?? batch[i]!,
            });
          }
        });
        batch = [];
        numbers = [];
      };
      let lineNumber = 0;
      for (const line of readLines(log)) {
        lineNumber++;
        if (line === "") continue;
        lines++;
        batch.push(line);
        numbers.push(lineNumber);
        if (batch.length >= BATCH) await flush();
      }
      if (batch.length > 0) await flush();
    }
  } finally {
    await filter.close();
  }
  return { failures, lines, stalled: filter.stalledLines };
}

/** Runs `cloudjail replay`; returns the exit code. */
export async function run(argv: string[], context: CommandContext): Promise<number> {
  const plan = parseReplayArgs(argv);
  if (plan.help) {
    process.stdout.write(`${REPLAY_USAGE}\n`);
    return 0;
  }
  for (const log of plan.logs) {
    if (!existsSync(log) || !statSync(log).isFile()) throw new UsageError(`replay: cannot read log file '${log}'`);
  }
  const configDir = plan.configDir ?? context.bundledConfigDir;
  const jails = loadJails(configDir, plan.jails.length > 0 ? { names: plan.jails } : {});
  if (jails.length === 0)
    throw new UsageError(`replay: no enabled jail in ${configDir}; enable one or name it with --jail`);
  const assignment = assignLogs(jails, plan.logs, plan.jails.length > 0);
  const now = plan.now ?? Date.now() / 1000;
  const started = performance.now();
  let lines = 0;
  const failures: Failure[] = [];
  for (const [jail, logs] of assignment) {
    const found = await failuresOf(jail, logs, configDir, context, now, plan.timeZone);
    lines += found.lines;
    failures.push(...found.failures);
  }
  // jails and files interleave in log time, as they would have happened
  failures.sort((a, b) => a.time - b.time);
  const store = new SqliteStore(plan.sqlitePath ?? ":memory:");
  let decisions: Decision[];
  try {
    const runner = new JailRunner({ store, jails: [...assignment.keys()].map((jail) => jailPolicy(jail)) });
    decisions = await replayFailures(runner, failures, failures.at(-1)?.time);
  } finally {
    await store.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const json = plan.out === "json";
  const output = decisions.map((decision) => formatDecision(decision, json));
  if (output.length > 0) process.stdout.write(`${output.join("\n")}\n`);
  if (!json) {
    const bans = decisions.filter((d) => d.kind === "ban").length;
    process.stdout.write(
      `\n${lines} lines, ${failures.length} failures, ${bans} bans, ${decisions.length - bans} unbans` +
        ` in ${[...assignment.keys()].map((j) => j.name).join(", ")} (${seconds.toFixed(2)} s, ${Math.round(lines / Math.max(seconds, 1e-6))} lines/s)\n`,
    );
  }
  return 0;
}

// `cloudjail replay`: whole jails over historical logs, in log time, printing the bans and unbans they would make.
// The same filter engine and jail logic as the daemon and the Lambda, on a throwaway memory store (or a given SQLite
// file).
import { existsSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ONE_SDK_ATTEMPT } from "../../cloud/targets/retry.js";
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
import { MemoryStore } from "../../shared/store/memory-store.js";
import { SqliteStore } from "../../shared/store/sqlite-store.js";
import type { Store } from "../../shared/store/store.js";
import type { CommandContext } from "../command-context.js";
import { parseReplayArgs, REPLAY_USAGE, type ReplayPlan } from "../replay/replay-args.js";
import { formatDecision } from "../replay/replay-output.js";
import { fileSource, type LineSource, logGroupSource, type SourceLine } from "../replay/replay-sources.js";
import { UsageError } from "../usage-error.js";

const BATCH = 4096;

/**
 * Which jails read which source: named jails read every source; otherwise a jail reads the files its logpath names
 * and the log groups its loggroup names. A source no jail reads is an error (probably a typo).
 */
function assignSources(
  jails: readonly JailConfig[],
  plan: ReplayPlan,
  now: number,
  logsClient: () => CloudWatchLogsClient,
): Map<JailConfig, LineSource[]> {
  const assignment = new Map<JailConfig, LineSource[]>();
  const named = plan.jails.length > 0;
  const assign = (source: LineSource, readers: readonly JailConfig[], kind: string) => {
    if (readers.length === 0) {
      const enabled = jails.map((jail) => jail.name).join(", ") || "none";
      throw new UsageError(
        `replay: no enabled jail has a ${kind} matching '${source.label}' (enabled: ${enabled}); name jails with --jail`,
      );
    }
    for (const jail of readers) assignment.set(jail, [...(assignment.get(jail) ?? []), source]);
  };
  for (const log of plan.logs) {
    const absolute = resolve(log);
    const readers = named
      ? jails
      : jails.filter((jail) =>
          jail.logpath.some(
            (path) => globMatches(path.pattern, absolute) || globMatches(basename(path.pattern), basename(absolute)),
          ),
        );
    assign(fileSource(log, now), readers, "logpath");
  }
  for (const group of plan.logGroups) {
    const readers = named ? jails : jails.filter((jail) => jail.loggroup.includes(group));
    assign(logGroupSource(logsClient(), group, now - plan.sinceSeconds), readers, "loggroup");
  }
  return assignment;
}

async function failuresOf(
  jail: JailConfig,
  sources: readonly LineSource[],
  configDir: string,
  context: CommandContext,
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
    for (const source of sources) {
      let batch: SourceLine[] = [];
      const flush = async () => {
        const results = await filter.processBatch(
          batch.map((item) => item.line),
          batch.map((item) => ({ now: item.now })),
        );
        results.forEach((result, i) => {
          const item = batch[i]!;
          if (isStalled(result)) {
            process.stderr.write(
              `cloudjail replay: ${item.where}: abandoned after ${result.budgetMs} ms (pathological input)\n`,
            );
            return;
          }
          if (result.unidentified) {
            process.stderr.write(
              `cloudjail replay: ${item.where}: jail ${jail.name}: a failregex matched, but no address or failure id ` +
                "was captured: the line is not counted\n",
            );
          }
          for (const failure of result.failures) {
            const time = failure.time ?? item.fallbackTime;
            if (failure.nofail || failure.id === "" || failure.isHostName || time === undefined) continue;
            failures.push({
              jail: jail.name,
              ip: failure.ip ?? failure.id,
              fid: failure.id,
              time,
              eventId: item.eventId,
              line: failure.matches.at(-1) ?? item.line,
            });
          }
        });
        batch = [];
      };
      for await (const item of source.lines()) {
        lines++;
        batch.push(item);
        if (batch.length >= BATCH) await flush();
      }
      if (batch.length > 0) await flush();
    }
  } finally {
    await filter.close();
  }
  return { failures, lines, stalled: filter.stalledLines };
}

/** What replay needs from the outside world, replaceable in tests. */
export interface ReplayDependencies {
  readonly logsClient: () => CloudWatchLogsClient;
}

const defaultDependencies = (region: string | undefined): ReplayDependencies => {
  let client: CloudWatchLogsClient | undefined;
  return {
    logsClient: () => (client ??= new CloudWatchLogsClient({ ...ONE_SDK_ATTEMPT, ...(region ? { region } : {}) })),
  };
};

/** Runs `cloudjail replay`; returns the exit code. */
export async function run(argv: string[], context: CommandContext, dependencies?: ReplayDependencies): Promise<number> {
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
  const now = plan.now ?? Date.now() / 1000;
  const assignment = assignSources(jails, plan, now, (dependencies ?? defaultDependencies(plan.region)).logsClient);
  const started = performance.now();
  let lines = 0;
  const failures: Failure[] = [];
  for (const [jail, sources] of assignment) {
    const found = await failuresOf(jail, sources, configDir, context, plan.timeZone);
    lines += found.lines;
    for (const failure of found.failures) failures.push(failure);
  }
  // jails and files interleave in log time, as they would have happened
  failures.sort((a, b) => a.time - b.time);
  const store: Store = plan.sqlitePath ? new SqliteStore(plan.sqlitePath) : new MemoryStore();
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

// `cloudjail regex` against fail2ban-regex on the same generated auth.log, whole-command times, same run.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { writeAuthLog } from "./auth-log.js";
import type { BenchRow } from "./bench-row.js";
import { rawRegexFloor, regexFloorSeconds } from "./regex-floor.js";

const cacheRoot =
  process.env.CLOUDJAIL_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cloudjail");
const reference = join(cacheRoot, "reference", "fail2ban", "root");
const referencePython = join(reference, "usr", "lib", "python3", "dist-packages");

interface Timed {
  readonly seconds: number;
  /** CPU seconds (user + system) of the command and its threads, or NaN where /proc is missing. */
  readonly cpuSeconds: number;
  readonly stdout: string;
}

/**
 * CPU seconds used by this process's finished children (cutime + cstime of /proc/self/stat): wall time on a shared
 * machine says more about the neighbours than about the command, CPU time does not.
 */
function childCpuSeconds(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields from the state (field 3): cutime and cstime are fields 16 and 17, in clock ticks (100 per second)
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Timed {
  const cpuBefore = childCpuSeconds();
  const started = performance.now();
  const result = spawnSync(command, args, { env, encoding: "utf8", maxBuffer: 1 << 30 });
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = childCpuSeconds() - cpuBefore;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
  return { seconds, cpuSeconds, stdout: result.stdout };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs of a whole command: each run's result, and the medians of wall and CPU time. */
interface Runs {
  readonly runs: readonly Timed[];
  readonly seconds: number;
  readonly cpuSeconds: number;
}

/**
 * Runs each command `times` times, interleaved (a, b, a, b, ...), so that a machine getting busier or quieter
 * meanwhile weighs on every command alike; medians are compared. fail2ban-regex runs as often as cloudjail: its own
 * time moves by a fifth from run to run on a shared machine.
 */
function interleaved(times: number, commands: ReadonlyArray<() => Timed>): Runs[] {
  const runs: Timed[][] = commands.map(() => []);
  for (let i = 0; i < times; i++) for (const [k, command] of commands.entries()) runs[k]!.push(command());
  return runs.map((list) => ({
    runs: list,
    seconds: median(list.map((r) => r.seconds)),
    cpuSeconds: median(list.map((r) => r.cpuSeconds)),
  }));
}

const RUNS = 3;
const sshdConf = join(reference, "etc", "fail2ban", "filter.d", "sshd.conf");
const fail2banRegex = join(reference, "usr", "bin", "fail2ban-regex");

/** Runs the filter-engine benchmark; `lines` defaults to 200,000. */
export async function benchRegex(workDir: string, lines = 200_000): Promise<BenchRow[]> {
  mkdirSync(workDir, { recursive: true });
  const log = join(workDir, `auth-${lines}.log`);
  const end = Math.floor(Date.now() / 1000) - 3600;
  const { attackLines } = writeAuthLog(log, lines, end);
  const env = { ...process.env, TZ: "UTC" };
  const haveReference = existsSync(fail2banRegex);
  // the same filter for both: fail2ban's own sshd filter when the reference is unpacked, else ours
  const filterConfig = haveReference ? join(reference, "etc", "fail2ban") : "config";
  const ourCommand = () =>
    timed(
      process.execPath,
      ["bin/cloudjail.js", "regex", "--raw", "--out", "json", "--config", filterConfig, log, "sshd"],
      env,
    );
  const theirCommand = () =>
    timed("python3", [fail2banRegex, "--raw", "-o", "<fid> <time>", log, sshdConf], {
      ...env,
      PYTHONPATH: referencePython,
    });
  const [ours, theirs] = interleaved(RUNS, haveReference ? [ourCommand, theirCommand] : [ourCommand]);
  const ourFailures = ours!.runs[0]!.stdout.trim()
    .split("\n")
    .filter(Boolean)
    .map((row) => {
      const parsed = JSON.parse(row) as { fid: string; time: number };
      return `${parsed.fid} ${parsed.time}`;
    });
  const rows: BenchRow[] = [
    { name: "regex: log lines", value: lines, unit: "lines", note: `${attackLines} attack lines` },
    {
      name: "regex: cloudjail regex (sshd)",
      value: ours!.seconds.toFixed(2),
      unit: "s",
      note: `median of ${RUNS}, whole command`,
    },
    {
      name: "regex: cloudjail regex CPU (sshd)",
      value: ours!.cpuSeconds.toFixed(2),
      unit: "s",
      note: `median of ${RUNS}, user + system, all threads`,
    },
    { name: "regex: cloudjail throughput", value: Math.round(lines / ours!.seconds), unit: "lines/s" },
    { name: "regex: cloudjail failures", value: ourFailures.length, unit: "failures" },
  ];
  if (!theirs) {
    rows.push({ name: "regex: fail2ban-regex", value: "n/a", unit: "", note: "reference package not unpacked" });
    return rows;
  }
  const theirFailures = theirs.runs[0]!.stdout.trim()
    .split("\n")
    .filter(Boolean)
    .map((row) => {
      const [fid, time] = row.split(" ");
      return `${fid} ${Number(time)}`;
    });
  const identical =
    theirFailures.length === ourFailures.length && theirFailures.every((value, i) => value === ourFailures[i]);
  rows.push(
    {
      name: "regex: fail2ban-regex (sshd)",
      value: theirs.seconds.toFixed(2),
      unit: "s",
      note: `median of ${RUNS}, whole command, interleaved with cloudjail's runs`,
    },
    {
      name: "regex: fail2ban-regex CPU (sshd)",
      value: theirs.cpuSeconds.toFixed(2),
      unit: "s",
      note: `median of ${RUNS}, user + system`,
    },
    { name: "regex: fail2ban-regex throughput", value: Math.round(lines / theirs.seconds), unit: "lines/s" },
    { name: "regex: fail2ban-regex failures", value: theirFailures.length, unit: "failures" },
    {
      name: "regex: speed-up (fail2ban-regex time / cloudjail time)",
      value: (theirs.seconds / ours!.seconds).toFixed(1),
      unit: "x",
      note: "goal >= 12",
    },
    {
      name: "regex: CPU speed-up (fail2ban-regex CPU / cloudjail CPU)",
      value: (theirs.cpuSeconds / ours!.cpuSeconds).toFixed(1),
      unit: "x",
      note: "steadier than wall time on a shared machine",
    },
    { name: "regex: identical failures", value: identical ? "yes" : "NO", unit: "" },
  );
  const budget = `12x fail2ban-regex leaves ${(theirs.seconds / 12).toFixed(2)} s for the whole command`;
  rows.push({
    name: "regex: matching floor (the engine's matching alone, in process, warm)",
    value: regexFloorSeconds(log, filterConfig, "sshd").toFixed(2),
    unit: "s",
    note: budget,
  });
  const raw = rawRegexFloor(log, filterConfig, "sshd");
  rows.push({
    name: "regex: raw floor (the same RegExps called directly, warm)",
    value: raw.seconds.toFixed(2),
    unit: "s",
    note: `no date conversion, groups, output or start-up; ${raw.matchedLines} lines matched a failregex`,
  });
  rows.push(...benchSummaries(log, filterConfig, env), ...benchOneLine(filterConfig, env));
  return rows;
}

/**
 * The command as fail2ban users run it first: no options, the summary report (host names would be resolved; the
 * generated log has addresses only). Both summaries must count the same lines.
 */
function benchSummaries(log: string, filterConfig: string, env: NodeJS.ProcessEnv): BenchRow[] {
  const [ours, theirs] = interleaved(RUNS, [
    () => timed(process.execPath, ["bin/cloudjail.js", "regex", "--config", filterConfig, log, "sshd"], env),
    () => timed("python3", [fail2banRegex, log, sshdConf], { ...env, PYTHONPATH: referencePython }),
  ]);
  const countsOf = (report: string) => /Lines: \d+ lines, \d+ ignored, \d+ matched, \d+ missed/.exec(report)?.[0];
  const theirCounts = countsOf(theirs!.runs[0]!.stdout);
  return [
    {
      name: "regex summary: cloudjail regex LOG sshd",
      value: ours!.seconds.toFixed(2),
      unit: "s",
      note: `median of ${RUNS}, whole command`,
    },
    {
      name: "regex summary: fail2ban-regex LOG sshd.conf",
      value: theirs!.seconds.toFixed(2),
      unit: "s",
      note: `median of ${RUNS}`,
    },
    {
      name: "regex summary: speed-up (fail2ban-regex time / cloudjail time)",
      value: (theirs!.seconds / ours!.seconds).toFixed(1),
      unit: "x",
    },
    {
      name: "regex summary: same line counts",
      value: countsOf(ours!.runs[0]!.stdout) === theirCounts && theirCounts ? "yes" : "NO",
      unit: "",
      note: theirCounts ?? "fail2ban-regex printed no counts",
    },
  ];
}

/**
 * One literal line, as a filter is tried out by hand: start-up dominates (Node, the filter worker, regex
 * translation; Python and fail2ban's imports).
 */
function benchOneLine(filterConfig: string, env: NodeJS.ProcessEnv): BenchRow[] {
  const line =
    "Dec  5 03:15:51 bastion sshd[39058]: Failed password for invalid user root from 203.0.115.174 port 15459 ssh2";
  const times = 7;
  const [ours, theirs] = interleaved(times, [
    () => timed(process.execPath, ["bin/cloudjail.js", "regex", "--raw", "--config", filterConfig, line, "sshd"], env),
    () => timed("python3", [fail2banRegex, "--raw", line, sshdConf], { ...env, PYTHONPATH: referencePython }),
  ]);
  return [
    {
      name: "regex one line: cloudjail regex LINE sshd",
      value: ours!.seconds.toFixed(2),
      unit: "s",
      note: `median of ${times}, mostly start-up`,
    },
    { name: "regex one line: fail2ban-regex LINE sshd.conf", value: theirs!.seconds.toFixed(2), unit: "s" },
    {
      name: "regex one line: speed-up (fail2ban-regex time / cloudjail time)",
      value: (theirs!.seconds / ours!.seconds).toFixed(1),
      unit: "x",
    },
  ];
}

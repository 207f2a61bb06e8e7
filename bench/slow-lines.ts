// Slow-lines benchmark: fail2ban's stock `apache-auth` filter (the reference /etc/fail2ban tree, as a user running
// cloudjail on an existing configuration has it) fed crafted lines that cost it about 40 ms each, at up to
// SLOW_RATE lines/s for SLOW_SECONDS, next to an sshd jail on another log. Probe addresses send 3 sshd failures
// during the burn; measured: the time from each probe's third failure written to its ban (goal < 2 s), the apache-auth
// lines handled meanwhile and what `status apache-auth` reports. Run with the default filter threads and with every
// filter on one thread (CLOUDJAIL_FILTER_THREADS=1), where the jails take turns on one worker. The daemon runs
// with --dry-run (no firewall, no root needed); it stops (and is killed if it must) at the end.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildCli } from "../test/host/support/cli-bundle.js";
import { makeConfigDir } from "../test/host/support/test-config.js";
import { fail2banConfig, requireFail2ban } from "../test/support/reference.js";
import { type BenchRow, positiveFromEnv } from "./bench-row.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The size of a run; every field can be set from the environment. */
export interface SlowLinesSizes {
  /** Seconds the writer writes crafted lines (SLOW_SECONDS, default 10). */
  readonly seconds: number;
  /** Crafted lines per second at most (SLOW_RATE, default 1,000). */
  readonly rate: number;
  /** Repeats of "` ' in realm ` ' " in a crafted line (SLOW_REPEATS, default 1,600: about 26 KB, ~40 ms). */
  readonly repeats: number;
  /** sshd probe addresses, each sending 3 failures during the burn (SLOW_PROBES, default 3). */
  readonly probes: number;
}

export function slowLinesSizes(env: NodeJS.ProcessEnv = process.env): SlowLinesSizes {
  const number = (name: string, fallback: number) => positiveFromEnv(env, name, fallback);
  return {
    seconds: number("SLOW_SECONDS", 10),
    rate: number("SLOW_RATE", 1000),
    repeats: number("SLOW_REPEATS", 1600),
    probes: number("SLOW_PROBES", 3),
  };
}

const probeIp = (i: number) => `10.251.0.${i + 1}`;
const apacheDate = (date: Date) => {
  const [weekday, month, day, year, time] = date.toString().split(" ");
  const micros = String(date.getMilliseconds() * 1000).padStart(6, "0");
  return `${weekday} ${month} ${day} ${time}.${micros} ${year}`;
};
/** The crafted line: every one different (the engine remembers a line it has seen), the same cost. */
const craftedLine = (n: number, body: string) =>
  `[${apacheDate(new Date())}] [auth_basic:error] [pid ${1000 + (n % 30000)}] [client 192.0.2.200:${1 + (n % 65000)}] AH01617: user ${body}\n`;
const sshdLine = (ip: string, n: number) => {
  const now = new Date();
  const month = now.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  const stamp = `${month} ${String(now.getUTCDate()).padStart(2, " ")} ${now.toISOString().slice(11, 19)}`;
  return `${stamp} bench sshd[${2000 + n}]: Failed password for root from ${ip} port ${40000 + n} ssh2\n`;
};

interface RunResult {
  written: number;
  probeMs: number[];
  probesMissed: number;
  /** apache-auth lines the jail had handled when the writer stopped, and when the daemon was stopped. */
  statusAtEnd: string;
}

async function runOnce(
  cli: string,
  dir: string,
  sizes: SlowLinesSizes,
  threads: number | undefined,
  crafted: boolean,
): Promise<RunResult> {
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "cj.sock");
  const logFile = join(dir, "cloudjail.log");
  const apacheLog = join(dir, "apache-error.log");
  const sshdLog = join(dir, "auth.log");
  writeSync(openSync(apacheLog, "w"), "");
  writeSync(openSync(sshdLog, "w"), "");
  const configDir = makeConfigDir(
    {
      "fail2ban.local": `[Definition]\nloglevel = INFO\nlogtarget = ${logFile}\nsocket = ${socket}\npidfile = ${join(dir, "cj.pid")}\ndbfile = ${join(dir, "cj.sqlite3")}\n`,
      "jail.local": [
        "[DEFAULT]\nignoreself = false\nbackend = auto\n",
        `[sshd]\nenabled = true\nbackend = auto\nlogpath = ${sshdLog}\nmaxretry = 3\nfindtime = 10m\nbantime = 1h\n`,
        `[apache-auth]\nenabled = true\nbackend = auto\nlogpath = ${apacheLog}\n`,
      ].join("\n"),
    },
    fail2banConfig,
  );
  const env = { ...process.env };
  if (threads !== undefined) env.CLOUDJAIL_FILTER_THREADS = String(threads);
  else delete env.CLOUDJAIL_FILTER_THREADS;
  const child: ChildProcess = spawn(process.execPath, [cli, "server", "--config", configDir, "--dry-run"], {
    stdio: ["ignore", "ignore", "inherit"],
    env,
  });
  const client = (...argv: string[]) =>
    execFileSync(process.execPath, [cli, "client", "--socket", socket, ...argv], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 30_000,
    });
  try {
    for (let i = 0; ; i++) {
      try {
        if (client("ping").includes("pong")) break;
      } catch (error) {
        if (i > 150) throw error;
      }
      await sleep(100);
    }
    const result = await burn(apacheLog, sshdLog, logFile, sizes, crafted);
    let statusAtEnd = "";
    try {
      statusAtEnd = client("status", "apache-auth");
    } catch (error) {
      statusAtEnd = `status did not answer: ${(error as Error).message.split("\n")[0]}`;
    }
    return { ...result, statusAtEnd };
  } finally {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      client("stop");
      await Promise.race([exited, sleep(30_000)]);
    } catch {
      // a daemon that does not answer is killed below
    }
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(configDir, { recursive: true, force: true });
  }
}

/** Writes the crafted lines with the probes in the middle, and waits (bounded) for the probes' bans. */
async function burn(
  apacheLog: string,
  sshdLog: string,
  logFile: string,
  sizes: SlowLinesSizes,
  crafted: boolean,
): Promise<Omit<RunResult, "statusAtEnd">> {
  const body = "` ' in realm ` ' ".repeat(sizes.repeats);
  const apache = openSync(apacheLog, "a");
  const sshd = openSync(sshdLog, "a");
  const total = Math.floor(sizes.seconds * sizes.rate);
  const probeAt = Array.from({ length: sizes.probes }, (_, i) => Math.floor((total * (i + 1)) / (sizes.probes + 1)));
  const thirdWritten = new Map<string, number>();
  const banned = new Map<string, number>();
  let logPosition = 0;
  const watchBans = () => {
    if (!existsSync(logFile)) return;
    const fd = openSync(logFile, "r");
    try {
      const buffer = Buffer.alloc(1 << 20);
      for (;;) {
        const read = readSync(fd, buffer, 0, buffer.length, logPosition);
        if (read <= 0) break;
        logPosition += read;
        const now = performance.now();
        for (const match of buffer.toString("utf8", 0, read).matchAll(/\[sshd\] Ban (\S+)/g)) {
          if (!banned.has(match[1]!)) banned.set(match[1]!, now);
        }
      }
    } finally {
      closeSync(fd);
    }
  };
  const started = performance.now();
  let written = 0;
  try {
    while (written < total) {
      const elapsed = performance.now() - started;
      if (elapsed > sizes.seconds * 1000) break;
      if (written >= (elapsed / 1000) * sizes.rate) {
        watchBans();
        await sleep(5);
        continue;
      }
      let text = "";
      const chunk = Math.min(50, total - written);
      for (let n = written; n < written + chunk; n++) text += craftedLine(n, body);
      // the baseline writes nothing to apache-auth: the same probes on the same (loaded) machine
      if (crafted) writeSync(apache, text);
      const probe = probeAt.findIndex((at) => at >= written && at < written + chunk);
      written += chunk;
      if (probe >= 0) {
        const ip = probeIp(probe);
        for (let k = 0; k < 3; k++) writeSync(sshd, sshdLine(ip, probe * 3 + k));
        thirdWritten.set(ip, performance.now());
      }
    }
    // the probes get 60 s after the writer stopped; a probe not banned by then is reported as missed
    const deadline = performance.now() + 60_000;
    while (performance.now() < deadline && [...thirdWritten.keys()].some((ip) => !banned.has(ip))) {
      watchBans();
      await sleep(10);
    }
  } finally {
    closeSync(apache);
    closeSync(sshd);
  }
  const probeMs: number[] = [];
  let probesMissed = 0;
  for (const [ip, at] of thirdWritten) {
    const ban = banned.get(ip);
    if (ban === undefined) probesMissed++;
    else probeMs.push(ban - at);
  }
  return { written, probeMs, probesMissed };
}

function rowsOf(label: string, result: RunResult): BenchRow[] {
  const worst = result.probeMs.length > 0 ? Math.max(...result.probeMs) : Number.NaN;
  const sorted = [...result.probeMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  const problems = result.statusAtEnd
    .split("\n")
    .filter((line) => /WARNING|isolated|behind|did not answer/.test(line))
    .map((line) => line.replace(/^[\s|`-]+/, "").trim());
  return [
    {
      name: `slowlines ${label}: sshd probe, third failure to ban (worst)`,
      value: Math.round(worst),
      unit: "ms",
      note: `median ${Math.round(median)} ms over ${result.probeMs.length} probes, ${result.probesMissed} not banned within 60 s; goal < 2000 ms`,
    },
    {
      name: `slowlines ${label}: apache-auth status at the end`,
      value: problems.length,
      unit: "problems",
      note: problems.join(" | ").slice(0, 300) || "none reported",
    },
  ];
}

/** The slow-lines section of `npm run bench` (BENCH_ONLY=slowlines). */
export async function benchSlowLines(
  workDir = join(process.cwd(), ".bench", "slowlines"),
  sizes: SlowLinesSizes = slowLinesSizes(),
): Promise<BenchRow[]> {
  requireFail2ban();
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const cli = await buildCli();
  const rows: BenchRow[] = [
    {
      name: "slowlines: size",
      value: Math.floor(sizes.seconds * sizes.rate),
      unit: "lines",
      note: `${sizes.seconds} s at up to ${sizes.rate} crafted apache-auth lines/s of ${Math.round((sizes.repeats * 16) / 1024)} KB, ${sizes.probes} sshd probes`,
    },
  ];
  try {
    for (const [label, threads, crafted] of [
      ["baseline, no crafted line", undefined, false],
      ["default threads", undefined, true],
      ["1 filter thread", 1, true],
    ] as const) {
      const result = await runOnce(cli, join(workDir, label.replace(/\W+/g, "-")), sizes, threads, crafted);
      rows.push(...rowsOf(label, result));
      if (crafted)
        rows.push({ name: `slowlines ${label}: crafted lines written`, value: result.written, unit: "lines" });
    }
  } finally {
    if (existsSync(dirname(cli))) rmSync(dirname(cli), { recursive: true, force: true });
    // the crafted logs are hundreds of MB; SLOW_KEEP=1 keeps them and the daemon's log for a look
    if (process.env.SLOW_KEEP !== "1") rmSync(workDir, { recursive: true, force: true });
  }
  return rows;
}

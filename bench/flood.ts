// Flood benchmark: failure lines from many addresses (20,000 by default) written to a log by a bounded writer for a
// few seconds, with a handful of probe addresses each sending 3 failures in the middle of it. Measured for
// cloudjail's daemon and, in the same run and on the same flood, for the reference fail2ban: lines handled per second,
// bans per second at about 1,000 and at about 20,000 active bans (a cost per ban that grows with the number of bans
// shows as the second falling behind the first), peak RSS, and the time from a probe's third failure written to its
// ban (p50/p99). Both ban with nftables in a network namespace the benchmark creates. Everything stops by itself:
// the writer after FLOOD_SECONDS, each server at the latest FLOOD_DRAIN_SECONDS after the writer.
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildCli } from "../test/host/support/cli-bundle.js";
import { canUseNetns, createTestNetwork, type TestNetwork } from "../test/host/support/netns.js";
import { makeConfigDir } from "../test/host/support/test-config.js";
import { fail2banPython, fail2banRoot } from "../test/support/reference.js";
import { type BenchRow, positiveFromEnv } from "./bench-row.js";
import { fail2banAvailable, fail2banBackend, startFail2ban } from "./host-fail2ban.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** The size of a flood; every field can be set from the environment (see {@link floodSizes}). */
export interface FloodSizes {
  /** Seconds the writer writes (FLOOD_SECONDS, default 10). */
  readonly seconds: number;
  /** Upper bound of the writer, lines per second (FLOOD_RATE, default 100,000, the rate of the reported incident). */
  readonly rate: number;
  /** Distinct flooding addresses (FLOOD_ADDRESSES, default 20,000). */
  readonly addresses: number;
  /** Probe addresses, each sending 3 failures during the flood (FLOOD_PROBES, default 5). */
  readonly probes: number;
  /** Seconds a server may take after the writer stopped before it is measured as not keeping up (default 120). */
  readonly drainSeconds: number;
}

export function floodSizes(env: NodeJS.ProcessEnv = process.env): FloodSizes {
  const number = (name: string, fallback: number) => positiveFromEnv(env, name, fallback);
  return {
    seconds: number("FLOOD_SECONDS", 10),
    rate: number("FLOOD_RATE", 100_000),
    addresses: number("FLOOD_ADDRESSES", 20_000),
    probes: number("FLOOD_PROBES", 5),
    drainSeconds: number("FLOOD_DRAIN_SECONDS", 120),
  };
}

// FLOOD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the daemon under flood
const nodeArgs = (process.env.FLOOD_NODE_ARGS ?? "").split(" ").filter(Boolean);
const floodIp = (i: number) => `10.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const probeIp = (i: number) => `10.250.0.${i + 1}`;
const failureLine = (date: string, ip: string, n: number) =>
  `${date} bench sshd[${1000 + (n % 30000)}]: Failed password for root from ${ip} port ${1024 + (n % 60000)} ssh2\n`;

/** What a server under flood exposes to the benchmark. */
interface FloodServer {
  readonly pid: number;
  /** The server's own log, where each ban is a NOTICE line `[sshd] Ban ADDRESS`. */
  readonly logFile: string;
  /**
   * Failures counted so far (`Total failed` of `status sshd`), asked without blocking the benchmark, which keeps
   * timing the bans meanwhile; NaN when the server did not answer.
   */
  totalFailed(): Promise<number>;
  stop(): Promise<void>;
}

async function startCloudjailServer(
  cli: string,
  network: TestNetwork,
  dir: string,
  jail: string,
  children: Set<ChildProcess>,
): Promise<FloodServer> {
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "cj.sock");
  const logFile = join(dir, "cloudjail.log");
  const configDir = makeConfigDir({
    "fail2ban.conf": `[Definition]\nloglevel = NOTICE\nlogtarget = ${logFile}\nsocket = ${socket}\npidfile = ${join(dir, "cj.pid")}\ndbfile = ${join(dir, "cj.sqlite3")}\n`,
    "jail.conf": jail,
  });
  const child = spawn(
    "ip",
    ["netns", "exec", network.server, process.execPath, ...nodeArgs, cli, "server", "--config", configDir],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  children.add(child);
  const client = (...argv: string[]) =>
    execFileSync(process.execPath, [cli, "client", "--socket", socket, ...argv], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  for (let i = 0; ; i++) {
    try {
      if (client("ping").includes("pong")) break;
    } catch (error) {
      if (i > 150) throw error;
    }
    await sleep(100);
  }
  return {
    pid: Number(readFileSync(join(dir, "cj.pid"), "utf8").trim()),
    logFile,
    totalFailed: () => totalFailedOf(process.execPath, [cli, "client", "--socket", socket, "status", "sshd"]),
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        client("stop");
        await Promise.race([exited, sleep(60_000)]);
      } catch {
        // a server still busy with the flood may not answer: it is killed below
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
        children.delete(child);
        rmSync(configDir, { recursive: true, force: true });
      }
    },
  };
}

function startFail2banServer(network: TestNetwork, dir: string, jail: string): FloodServer {
  mkdirSync(dir, { recursive: true });
  const server = startFail2ban(network.server, dir, jail);
  return {
    pid: Number(readFileSync(join(dir, "f2b.pid"), "utf8").trim()),
    logFile: join(dir, "fail2ban.log"),
    totalFailed: () =>
      totalFailedOf(
        "ip",
        [
          ...["netns", "exec", network.server, "/usr/bin/python3", join(fail2banRoot, "usr", "bin", "fail2ban-client")],
          ...["-c", join(dir, "fail2ban"), "-s", join(dir, "f2b.sock"), "-p", join(dir, "f2b.pid"), "status", "sshd"],
        ],
        { ...process.env, PYTHONPATH: join(fail2banPython, "..") },
      ),
    stop: async () => server.stop(),
  };
}

function totalFailedOf(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    execFile(command, args, { encoding: "utf8", timeout: 60_000, ...(env ? { env } : {}) }, (error, stdout) => {
      resolve(error ? Number.NaN : Number(/Total failed:\s*(\d+)/.exec(stdout)?.[1] ?? Number.NaN));
    });
  });
}

/** Reads the bans a server logs as they come: the time each one is seen, and probe bans by address. */
class BanWatcher {
  private position = 0;
  private rest = "";
  /** performance.now() at which the n-th ban was seen. */
  readonly banTimes: number[] = [];
  readonly seen = new Map<string, number>();
  private fd: number | undefined;

  // the server creates its log with its first message at NOTICE, which may be the first ban
  constructor(private readonly file: string) {}

  poll(): void {
    if (this.fd === undefined) {
      if (!existsSync(this.file)) return;
      this.fd = openSync(this.file, "r");
    }
    const buffer = Buffer.alloc(1 << 20);
    for (;;) {
      const read = readSync(this.fd, buffer, 0, buffer.length, this.position);
      if (read === 0) break;
      this.position += read;
      const text = this.rest + buffer.toString("utf8", 0, read);
      const lines = text.split("\n");
      this.rest = lines.pop() ?? "";
      const now = performance.now();
      for (const line of lines) {
        const ban = /\[sshd\] Ban (\S+)/.exec(line);
        if (!ban) continue;
        this.banTimes.push(now);
        this.seen.set(ban[1]!, now);
      }
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

/** Bans per second while the count of bans went from `from` to `to` (NaN when it never got there). */
function banRate(banTimes: readonly number[], from: number, to: number): number {
  const start = banTimes[from - 1];
  const end = banTimes[to - 1];
  if (start === undefined || end === undefined || end <= start) return Number.NaN;
  return ((to - from) * 1000) / (end - start);
}

function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface FloodResult {
  written: number;
  handled: number;
  handledSeconds: number;
  drained: boolean;
  banTimes: number[];
  probeMs: number[];
  probesMissed: number;
  peakRssMb: number;
}

/** Writes the flood into `log` while watching `server`, then waits (bounded) for the server to handle it. */
async function runFlood(server: FloodServer, log: string, sizes: FloodSizes): Promise<FloodResult> {
  const watcher = new BanWatcher(server.logFile);
  let peakRssMb = rssMb(server.pid);
  const fd = openSync(log, "a");
  const chunk = 1000;
  const total = Math.floor(sizes.seconds * sizes.rate);
  const probeAt = Array.from({ length: sizes.probes }, (_, i) => Math.floor((total * (i + 1)) / (sizes.probes + 1)));
  const probeWritten = new Map<string, number>();
  const started = performance.now();
  let written = 0;
  let lastPoll = 0;
  try {
    while (written < total) {
      // bounded: never ahead of `rate`, never past `seconds`
      const elapsed = performance.now() - started;
      if (elapsed > sizes.seconds * 1000) break;
      if (written >= (elapsed / 1000) * sizes.rate) {
        await sleep(5);
        continue;
      }
      const date = new Date().toISOString();
      let text = "";
      for (let n = written; n < written + chunk; n++) text += failureLine(date, floodIp(n % sizes.addresses), n);
      const probe = probeAt.findIndex((at) => at >= written && at < written + chunk);
      if (probe >= 0) {
        const ip = probeIp(probe);
        text += failureLine(date, ip, 0) + failureLine(date, ip, 1) + failureLine(date, ip, 2);
        probeWritten.set(ip, performance.now());
      }
      writeSync(fd, text);
      written += chunk;
      if (performance.now() - lastPoll > 20) {
        watcher.poll();
        peakRssMb = Math.max(peakRssMb, rssMb(server.pid));
        lastPoll = performance.now();
      }
      await tick();
    }
  } finally {
    closeSync(fd);
  }
  const expectedBans = Math.min(sizes.addresses, Math.floor(written / 3)) + probeWritten.size;
  const deadline = performance.now() + sizes.drainSeconds * 1000;
  let handled = 0;
  let handledAt = performance.now();
  let lastStatus = 0;
  let drained = false;
  let asking: Promise<number> | undefined;
  let answer: number | undefined;
  while (performance.now() < deadline) {
    watcher.poll();
    peakRssMb = Math.max(peakRssMb, rssMb(server.pid));
    if (!asking && performance.now() - lastStatus > 1000) {
      lastStatus = performance.now();
      asking = server.totalFailed();
      void asking.then((value) => {
        answer = value;
      });
    }
    if (answer !== undefined) {
      // (NaN: a server too busy to answer its control socket in time, asked again a second later)
      const now = answer;
      answer = undefined;
      asking = undefined;
      process.stderr.write(
        `  flood: ${((performance.now() - started) / 1000).toFixed(1)} s, ${now} failures counted, ${watcher.banTimes.length} bans\n`,
      );
      if (now > handled) {
        handled = now;
        handledAt = performance.now();
      }
      if (handled >= written + probeWritten.size * 3 && watcher.banTimes.length >= expectedBans) {
        drained = true;
        break;
      }
    }
    await sleep(20);
  }
  watcher.poll();
  watcher.close();
  const probeMs: number[] = [];
  for (const [ip, at] of probeWritten) {
    const banned = watcher.seen.get(ip);
    if (banned !== undefined) probeMs.push(banned - at);
  }
  return {
    written,
    handled,
    handledSeconds: (handledAt - started) / 1000,
    drained,
    banTimes: watcher.banTimes,
    probeMs,
    probesMissed: probeWritten.size - probeMs.length,
    peakRssMb,
  };
}

function rowsOf(who: string, result: FloodResult, sizes: FloodSizes): BenchRow[] {
  const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : "n/a");
  const high = Math.min(sizes.addresses, result.banTimes.length);
  const notDrained = result.drained ? undefined : `not caught up ${sizes.drainSeconds} s after the writer stopped`;
  const rows: BenchRow[] = [
    {
      name: `flood: lines handled per second, ${who}`,
      value: fixed(result.handled / result.handledSeconds),
      unit: "lines/s",
      note: `${result.handled} of ${result.written} lines in ${result.handledSeconds.toFixed(1)} s${notDrained ? `; ${notDrained}` : ""}`,
    },
    {
      name: `flood: bans per second at 1,000 active bans, ${who}`,
      value: fixed(banRate(result.banTimes, 500, 1500)),
      unit: "bans/s",
    },
    {
      name: `flood: bans per second at ${high} active bans, ${who}`,
      value: fixed(banRate(result.banTimes, Math.max(1, high - 2000), high)),
      unit: "bans/s",
      note: `${result.banTimes.length} bans in all`,
    },
    { name: `flood: peak RSS, ${who}`, value: fixed(result.peakRssMb), unit: "MB" },
  ];
  const missed = result.probesMissed > 0 ? `${result.probesMissed} probes not banned` : undefined;
  rows.push(
    {
      name: `flood: probe's 3rd failure to ban, p50, ${who}`,
      value: fixed(percentile(result.probeMs, 50)),
      unit: "ms",
      ...(missed ? { note: missed } : {}),
    },
    {
      name: `flood: probe's 3rd failure to ban, p99, ${who}`,
      value: fixed(percentile(result.probeMs, 99)),
      unit: "ms",
    },
  );
  return rows;
}

const jailText = (log: string, extra: string) =>
  `[DEFAULT]\nignoreself = false\n\n[sshd]\nenabled = true\nport = 22\nfilter = sshd\nlogpath = ${log} tail\nmaxretry = 3\nfindtime = 10m\nbantime = 1h\n${extra}`;

/** The flood section of `npm run bench` (BENCH_ONLY=flood). Needs root (network namespace, nftables). */
export async function benchFlood(
  workDir = join(process.cwd(), ".bench", "flood"),
  sizes: FloodSizes = floodSizes(),
): Promise<BenchRow[]> {
  if (!canUseNetns()) {
    return [{ name: "flood", value: "skipped", unit: "", note: "needs root and network namespaces" }];
  }
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const cli = await buildCli();
  const network = createTestNetwork([]);
  const children = new Set<ChildProcess>();
  const rows: BenchRow[] = [];
  const size = `${sizes.seconds} s at up to ${sizes.rate} lines/s, ${sizes.addresses} addresses`;
  try {
    {
      const log = join(workDir, "flood-cj.log");
      writeSync(openSync(log, "w"), "");
      const server = await startCloudjailServer(
        cli,
        network,
        join(workDir, "cj"),
        jailText(log, "action = nftables[port=22]\n"),
        children,
      );
      try {
        rows.push(...rowsOf("cloudjail", await runFlood(server, log, sizes), sizes));
      } finally {
        await server.stop();
      }
    }
    if (fail2banAvailable() && process.env.FLOOD_FAIL2BAN !== "0") {
      const log = join(workDir, "flood-f2b.log");
      writeSync(openSync(log, "w"), "");
      const backend = fail2banBackend();
      const server = startFail2banServer(
        network,
        join(workDir, "f2b"),
        jailText(log, `banaction = nftables\nbackend = ${backend}\n`),
      );
      try {
        const result = await runFlood(server, log, sizes);
        rows.push(...rowsOf(`fail2ban 1.0.2 (${backend})`, result, sizes));
      } finally {
        await server.stop();
      }
    } else {
      rows.push({
        name: "flood: fail2ban comparison",
        value: "skipped",
        unit: "",
        note: "reference missing or FLOOD_FAIL2BAN=0",
      });
    }
    rows.unshift({ name: "flood: size", value: Math.floor(sizes.seconds * sizes.rate), unit: "lines", note: size });
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    network.destroy();
    if (existsSync(dirname(cli))) rmSync(dirname(cli), { recursive: true, force: true });
  }
  return rows;
}

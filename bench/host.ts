// Host-mode benchmarks, cloudjail's daemon side by side with the reference fail2ban where it is present, both run
// in the same network namespace in the same run: time from a log line written to the firewall rule in place,
// CPU per 100,000 log lines, and time to ban and unban 10,000 addresses.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildCli } from "../test/host/support/cli-bundle.js";
import { canUseNetns, createTestNetwork, type TestNetwork } from "../test/host/support/netns.js";
import { makeConfigDir } from "../test/host/support/test-config.js";
import { writeAuthLog } from "./auth-log.js";
import type { BenchRow } from "./bench-row.js";
import {
  type Fail2banServer,
  fail2banAvailable,
  fail2banBackend,
  processCpuSeconds,
  startFail2ban,
} from "./host-fail2ban.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Server {
  client(...argv: string[]): string;
  cpuSeconds(): number;
  stop(): Promise<void>;
  /** Ends the process whatever state it is in (cleanup after a failed measurement). */
  kill(): void;
}

/** Servers started and not yet stopped: killed when a measurement fails half-way. */
const running = new Set<Server>();

/** Starts `cloudjail server` (the bundled command) inside the namespace with a jail.conf of the benchmark. */
async function startCloudjail(cli: string, network: TestNetwork, dir: string, jail: string): Promise<Server> {
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "cj.sock");
  const configDir = makeConfigDir({
    "fail2ban.conf": `[Definition]\nloglevel = NOTICE\nlogtarget = ${join(dir, "cloudjail.log")}\nsocket = ${socket}\npidfile = ${join(dir, "cj.pid")}\ndbfile = ${join(dir, "cj.sqlite3")}\n`,
    "jail.conf": jail,
  });
  const child: ChildProcess = spawn(
    "ip",
    ["netns", "exec", network.server, process.execPath, cli, "server", "--config", configDir],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const client = (...argv: string[]) =>
    execFileSync(process.execPath, [cli, "client", "--socket", socket, ...argv], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    }).trim();
  for (let i = 0; ; i++) {
    try {
      const ping = execFileSync(process.execPath, [cli, "client", "--socket", socket, "ping"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      if (ping.includes("pong")) break;
    } catch (error) {
      if (i > 150) throw error;
    }
    await sleep(100);
  }
  const pid = Number(readFileSync(join(dir, "cj.pid"), "utf8").trim());
  const server: Server = {
    client,
    cpuSeconds: () => processCpuSeconds(pid),
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      client("stop");
      await exited;
      running.delete(server);
      rmSync(configDir, { recursive: true, force: true });
    },
    kill: () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      running.delete(server);
    },
  };
  running.add(server);
  return server;
}

function wrapFail2ban(fail2ban: Fail2banServer): Server {
  const server: Server = {
    client: fail2ban.client,
    cpuSeconds: fail2ban.cpuSeconds,
    stop: async () => {
      fail2ban.stop();
      running.delete(server);
    },
    kill: () => {
      fail2ban.stop();
      running.delete(server);
    },
  };
  running.add(server);
  return server;
}

function totalFailed(server: Server): number {
  return Number(/Total failed:\s*(\d+)/.exec(server.client("status", "sshd"))?.[1] ?? Number.NaN);
}

/** CPU seconds the server spends on 100,000 lines appended at once (idle CPU before and after excluded). */
async function cpuPer100k(server: Server, log: string, lines: string): Promise<number> {
  await sleep(500);
  const before = server.cpuSeconds();
  appendFileSync(log, lines);
  let last = -1;
  let stable = 0;
  const deadline = Date.now() + 600_000;
  while (stable < 3 && Date.now() < deadline) {
    await sleep(300);
    const now = totalFailed(server);
    stable = now === last && now > 0 ? stable + 1 : 0;
    last = now;
  }
  return server.cpuSeconds() - before;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function inSet(network: TestNetwork, set: readonly string[], ip: string): boolean {
  try {
    execFileSync("ip", ["netns", "exec", network.server, "nft", "get", "element", ...set, `{ ${ip} }`], {
      stdio: "ignore",
    });
    return true;
  } catch {
    return false;
  }
}

function setSize(network: TestNetwork, set: readonly string[]): number {
  try {
    const text = execFileSync("ip", ["netns", "exec", network.server, "nft", "list", "set", ...set], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      stdio: ["ignore", "pipe", "ignore"],
    });
    return text.match(/\d+\.\d+\.\d+\.\d+/g)?.length ?? 0;
  } catch {
    return 0;
  }
}

/** Milliseconds from a failure line appended to the log to its address being in the nftables set (maxretry 1). */
async function latencies(
  network: TestNetwork,
  log: string,
  set: readonly string[],
  samples: number,
  base: number,
): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < samples; i++) {
    const ip = `10.${base}.${i >> 8}.${i & 255}`;
    const written = performance.now();
    appendFileSync(
      log,
      `${new Date().toISOString()} bench sshd[${1000 + i}]: Failed password for root from ${ip} port ${40000 + i} ssh2\n`,
    );
    const deadline = Date.now() + 10_000;
    while (!inSet(network, set, ip)) {
      if (Date.now() > deadline) throw new Error(`no rule for ${ip} after 10 s`);
    }
    result.push(performance.now() - written);
    await sleep(20);
  }
  return result;
}

async function waitSetSize(
  network: TestNetwork,
  set: readonly string[],
  size: number,
  limitMs: number,
): Promise<number> {
  const started = performance.now();
  while (setSize(network, set) !== size) {
    if (performance.now() - started > limitMs) return Number.NaN;
    await sleep(100);
  }
  return performance.now() - started;
}

const jailText = (log: string, extra: string) =>
  `[DEFAULT]\nignoreself = false\n\n[sshd]\nenabled = true\nport = 22\nfilter = sshd\nlogpath = ${log} tail\n${extra}`;

/**
 * The host benchmarks. Needs root (network namespaces, nftables); fail2ban figures need the reference package.
 * `lines`, `samples` and `bans` scale the runs down for a quick check.
 */
export async function benchHost(
  workDir = join(process.cwd(), ".bench", "host"),
  sizes: { lines?: number; samples?: number; bans?: number } = {},
): Promise<BenchRow[]> {
  if (!canUseNetns()) {
    return [{ name: "host mode", value: "skipped", unit: "", note: "needs root and network namespaces" }];
  }
  const lines = sizes.lines ?? 100_000;
  const samples = sizes.samples ?? 100;
  const bans = sizes.bans ?? 10_000;
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const withFail2ban = fail2banAvailable();
  const backend = withFail2ban ? fail2banBackend() : "polling";
  const rows: BenchRow[] = [];
  const cli = await buildCli();
  const network = createTestNetwork([]);
  const cjSet = ["inet", "cloudjail", "addr4-sshd"];
  const f2bSet = ["inet", "f2b-table", "addr-set-sshd"];
  try {
    // CPU per 100,000 lines with an ordinary jail (maxretry 5, findtime 10m) and no action: reading, filtering,
    // counting and deciding, not the firewall.
    const sample = join(workDir, "auth-sample.log");
    writeAuthLog(sample, lines, Math.floor(Date.now() / 1000));
    const text = readFileSync(sample, "utf8");
    const per100k = (seconds: number) => Number(((seconds * 100_000) / lines).toFixed(2));
    const cpuJail = (log: string) => jailText(log, "maxretry = 5\nfindtime = 10m\nbantime = 10m\naction =\n");
    {
      const log = join(workDir, "cpu-cj.log");
      writeFileSync(log, "");
      const server = await startCloudjail(cli, network, join(workDir, "cpu-cj"), cpuJail(log));
      rows.push({
        name: "host: CPU per 100k log lines, cloudjail",
        value: per100k(await cpuPer100k(server, log, text)),
        unit: "s",
      });
      await server.stop();
    }
    if (withFail2ban) {
      const log = join(workDir, "cpu-f2b.log");
      writeFileSync(log, "");
      const server = wrapFail2ban(
        startFail2ban(network.server, join(workDir, "cpu-f2b"), cpuJail(log) + `backend = ${backend}\n`),
      );
      rows.push({
        name: "host: CPU per 100k log lines, fail2ban 1.0.2",
        value: per100k(await cpuPer100k(server, log, text)),
        unit: "s",
        note: `${backend} backend`,
      });
      await server.stop();
    }

    // Line written to rule in place, one new address per line (maxretry = 1), nftables sets.
    const latencyJail = (log: string, action: string) =>
      jailText(log, `maxretry = 1\nfindtime = 10m\nbantime = 1h\n${action}\n`);
    {
      const log = join(workDir, "lat-cj.log");
      writeFileSync(log, "");
      const server = await startCloudjail(
        cli,
        network,
        join(workDir, "lat-cj"),
        latencyJail(log, "action = nftables[port=22]"),
      );
      const values = await latencies(network, log, cjSet, samples, 1);
      rows.push({
        name: "host: line to nftables rule, cloudjail, median",
        value: Number(percentile(values, 50).toFixed(1)),
        unit: "ms",
      });
      rows.push({
        name: "host: line to nftables rule, cloudjail, p99",
        value: Number(percentile(values, 99).toFixed(1)),
        unit: "ms",
      });
      await server.stop();
    }
    if (withFail2ban) {
      const log = join(workDir, "lat-f2b.log");
      writeFileSync(log, "");
      const server = startFail2ban(
        network.server,
        join(workDir, "lat-f2b"),
        latencyJail(log, `banaction = nftables\nbackend = ${backend}`),
      );
      const values = await latencies(network, log, f2bSet, samples, 2);
      rows.push({
        name: "host: line to nftables rule, fail2ban, median",
        value: Number(percentile(values, 50).toFixed(1)),
        unit: "ms",
        note: `${backend} backend`,
      });
      rows.push({
        name: "host: line to nftables rule, fail2ban, p99",
        value: Number(percentile(values, 99).toFixed(1)),
        unit: "ms",
      });
      await server.stop();
    }

    // Ban and unban many addresses through the client, and a restart restoring them all.
    const addresses = Array.from({ length: bans }, (_, i) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
    const manyJail = (log: string, action: string) => jailText(log, `maxretry = 5\nbantime = 1d\n${action}\n`);
    {
      const log = join(workDir, "many-cj.log");
      writeFileSync(log, "");
      const dir = join(workDir, "many-cj");
      let server = await startCloudjail(cli, network, dir, manyJail(log, "action = nftables[port=22]"));
      let started = performance.now();
      server.client("set", "sshd", "banip", ...addresses);
      const banMs = performance.now() - started + (await waitSetSize(network, cjSet, bans, 600_000));
      rows.push({
        name: `host: ban ${bans} addresses, cloudjail`,
        value: Number((banMs / 1000).toFixed(2)),
        unit: "s",
      });
      started = performance.now();
      await server.stop();
      rows.push({
        name: `host: stop with ${bans} bans, cloudjail`,
        value: Number(((performance.now() - started) / 1000).toFixed(2)),
        unit: "s",
      });
      started = performance.now();
      server = await startCloudjail(cli, network, dir, manyJail(log, "action = nftables[port=22]"));
      const restoreMs = performance.now() - started + (await waitSetSize(network, cjSet, bans, 600_000));
      rows.push({
        name: `host: start restoring ${bans} bans, cloudjail`,
        value: Number((restoreMs / 1000).toFixed(2)),
        unit: "s",
      });
      started = performance.now();
      server.client("unban", "--all");
      const unbanMs = performance.now() - started + (await waitSetSize(network, cjSet, 0, 600_000));
      rows.push({
        name: `host: unban ${bans} addresses, cloudjail`,
        value: Number((unbanMs / 1000).toFixed(2)),
        unit: "s",
      });
      await server.stop();
    }
    if (withFail2ban) {
      const log = join(workDir, "many-f2b.log");
      writeFileSync(log, "");
      const server = wrapFail2ban(
        startFail2ban(network.server, join(workDir, "many-f2b"), manyJail(log, "banaction = nftables")),
      );
      let started = performance.now();
      server.client("set", "sshd", "banip", ...addresses);
      const banMs = performance.now() - started + (await waitSetSize(network, f2bSet, bans, 600_000));
      rows.push({
        name: `host: ban ${bans} addresses, fail2ban`,
        value: Number.isNaN(banMs) ? "> 600" : Number((banMs / 1000).toFixed(2)),
        unit: "s",
      });
      started = performance.now();
      server.client("unban", "--all");
      const unbanMs = performance.now() - started + (await waitSetSize(network, f2bSet, 0, 600_000));
      rows.push({
        name: `host: unban ${bans} addresses, fail2ban`,
        value: Number.isNaN(unbanMs) ? "> 600" : Number((unbanMs / 1000).toFixed(2)),
        unit: "s",
      });
      await server.stop();
    }
    if (!withFail2ban)
      rows.push({
        name: "host: fail2ban comparison",
        value: "skipped",
        unit: "",
        note: "reference package or /usr/bin/python3 missing",
      });
  } finally {
    for (const server of [...running]) server.kill();
    network.destroy();
    rmSync(dirname(cli), { recursive: true, force: true });
  }
  return rows;
}

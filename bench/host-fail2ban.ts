// Runs the reference fail2ban (the unpacked Debian package, see scripts/prepare-test-env.mjs) inside a network
// namespace for the host benchmarks, with the same jail as cloudjail's, so both are measured in the same run.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fail2banConfig, fail2banPython, fail2banRoot } from "../test/support/reference.js";

/** True when the reference package and Debian's python3 (with pyinotify, fail2ban's inotify backend) are here. */
export function fail2banAvailable(): boolean {
  return existsSync(join(fail2banConfig, "jail.conf")) && existsSync("/usr/bin/python3");
}

/** fail2ban's best file backend here: pyinotify when Debian's python3-pyinotify is installed, else polling. */
export function fail2banBackend(): "pyinotify" | "polling" {
  return spawnSync("/usr/bin/python3", ["-c", "import pyinotify"], { stdio: "ignore" }).status === 0
    ? "pyinotify"
    : "polling";
}

/** A fail2ban server running in a namespace. */
export interface Fail2banServer {
  client(...argv: string[]): string;
  /** User + system CPU seconds of the server process so far. */
  cpuSeconds(): number;
  stop(): void;
}

/** Starts fail2ban-server in `namespace` with one jail `[sshd]` configured by `jail` (jail.local text). */
export function startFail2ban(namespace: string, dir: string, jail: string): Fail2banServer {
  const conf = join(dir, "fail2ban");
  rmSync(conf, { recursive: true, force: true });
  cpSync(fail2banConfig, conf, { recursive: true });
  // Debian's jail.d enables sshd on the journal; the benchmark's jail.local says everything itself.
  rmSync(join(conf, "jail.d"), { recursive: true, force: true });
  writeFileSync(join(conf, "jail.local"), jail);
  const socket = join(dir, "f2b.sock");
  const pidfile = join(dir, "f2b.pid");
  writeFileSync(
    join(conf, "fail2ban.local"),
    `[Definition]\nloglevel = NOTICE\nlogtarget = ${join(dir, "fail2ban.log")}\nsocket = ${socket}\npidfile = ${pidfile}\ndbfile = ${join(dir, "f2b.sqlite3")}\n`,
  );
  const env = { ...process.env, PYTHONPATH: join(fail2banPython, "..") };
  const clientPath = join(fail2banRoot, "usr", "bin", "fail2ban-client");
  const client = (...argv: string[]): string =>
    execFileSync(
      "ip",
      ["netns", "exec", namespace, "/usr/bin/python3", clientPath, "-c", conf, "-s", socket, "-p", pidfile, ...argv],
      {
        encoding: "utf8",
        env,
        maxBuffer: 64 * 1024 * 1024,
        stdio: ["ignore", "pipe", "pipe"],
      },
    ).trim();
  client("-x", "start");
  const pid = Number(readFileSync(pidfile, "utf8").trim());
  return {
    client,
    cpuSeconds: () => processCpuSeconds(pid),
    stop: () => {
      spawnSync("ip", ["netns", "exec", namespace, "/usr/bin/python3", clientPath, "-c", conf, "-s", socket, "stop"], {
        env,
        stdio: "ignore",
        timeout: 120_000,
      });
    },
  };
}

/** User + system CPU seconds used so far by process `pid` (from /proc). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

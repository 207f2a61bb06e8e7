// Stop means stop: with a 500,000-line backlog of failures, SIGTERM and `client stop` end the daemon within a few
// seconds (the bound here is 10 s), with fewer lines handled than the log holds: reading stopped at once and the
// lines read but not handled were left for the next start, instead of being worked through first.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Daemon } from "../../../host/daemon/daemon.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { buildCli } from "../support/cli-bundle.js";
import { waitFor } from "../support/live-log.js";
import { memoryLog } from "../support/memory-log.js";
import { makeConfigDir } from "../support/test-config.js";

const LINES = 500_000;
const work = mkdtempSync(join(tmpdir(), "cloudjail-stop-"));
const authLog = join(work, "auth.log");
let cli: string;

/** Each address fails twice in a row (maxretry 2): the log holds LINES / 2 bans, each logged as one `Ban` line. */
function writeBacklog(): void {
  const stamp = new Date().toISOString();
  const lines: string[] = [];
  for (let i = 0; i < LINES; i++) {
    const k = i >> 1;
    lines.push(
      `${stamp} web1 sshd[${i}]: Failed password for root from 10.${k >> 16}.${(k >> 8) & 255}.${k & 255} port 22 ssh2`,
    );
  }
  writeFileSync(authLog, `${lines.join("\n")}\n`);
}

function configFor(name: string): { dir: string; daemonLog: string; socket: string } {
  const daemonLog = join(work, `${name}.log`);
  const socket = join(work, `${name}.sock`);
  writeFileSync(daemonLog, "");
  const dir = makeConfigDir({
    "fail2ban.conf": `[Definition]
loglevel = NOTICE
logtarget = ${daemonLog}
socket = ${socket}
pidfile = ${join(work, `${name}.pid`)}
dbfile = ${join(work, `${name}.sqlite3`)}
`,
    "jail.conf": `[sshd]
enabled = true
logpath = ${authLog}
maxretry = 2
findtime = 1h
bantime = 1h
ignoreself = false
action = dry-run
`,
  });
  return { dir, daemonLog, socket };
}

beforeAll(async () => {
  writeBacklog();
  cli = await buildCli();
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const banLines = (daemonLog: string) => readFileSync(daemonLog, "utf8").match(/\] Ban 10\./g)?.length ?? 0;

/** Resolves with the exit code, or with "still running" after `ms`. */
function exitWithin(child: ChildProcess, ms: number): Promise<number | string | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("still running"), ms);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("stop under a backlog", () => {
  it("Daemon.stop returns at once, with fewer lines handled than read", async () => {
    const { dir } = configFor("inline");
    const daemon = new Daemon({ settings: readDaemonSettings(dir), log: memoryLog(), pollIntervalMs: 100 });
    await daemon.start();
    await waitFor(
      "the backlog being handled",
      () => daemon.pipeline("sshd").stats.lines >= 2000,
      "(memory log)",
      30_000,
    );
    const pipeline = daemon.pipeline("sshd");
    const stopped = await Promise.race([
      daemon.stop().then(() => "stopped"),
      new Promise((resolve) => setTimeout(() => resolve("still running"), 10_000)),
    ]);
    expect(stopped).toBe("stopped");
    expect(pipeline.stats.lines).toBeGreaterThan(0);
    expect(pipeline.stats.lines).toBeLessThan(LINES);
    expect(daemon.pipeline.bind(daemon, "sshd")).toThrow(/does not exist/);
  }, 60_000);

  it.each(["SIGTERM", "client stop"])(
    "the server exits on %s within 10 s",
    async (how) => {
      const { dir, daemonLog, socket } = configFor(how.replace(" ", "-"));
      const child = spawn(process.execPath, [cli, "server", "--config", dir], {
        stdio: ["ignore", "inherit", "inherit"],
      });
      try {
        await waitFor("bans from the backlog", () => banLines(daemonLog) >= 100, daemonLog, 30_000);
        const exited = exitWithin(child, 10_000);
        if (how === "SIGTERM") child.kill("SIGTERM");
        else {
          const client = spawnSync(process.execPath, [cli, "client", "--socket", socket, "stop"], { encoding: "utf8" });
          expect(client.stdout).toContain("Shutdown successful");
        }
        expect(await exited).toBe(0);
        // the whole log would have made LINES / 2 bans: far from all were handled
        expect(banLines(daemonLog)).toBeLessThan(LINES / 2);
      } finally {
        child.kill("SIGKILL");
      }
    },
    60_000,
  );
});

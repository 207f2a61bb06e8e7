// A tutorial's jail.local on the bundled configuration, as a new user writes it (no backend line): the bundled
// jail.conf must read the logpath the user gave and ban a real ssh brute force. The sshd runs in a network
// namespace, the attacker guesses passwords with the real ssh client from another, and the daemon bans with the
// bundled nftables action inside the server namespace only.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../support/cli-bundle.js";
import { canUseNetns, createTestNetwork, type TestNetwork, tcpConnects } from "../support/netns.js";
import { sshPasswordAttempt, startSshd, type TestSshd } from "../support/sshd.js";
import { bundledConfig, makeConfigDir } from "../support/test-config.js";

let network: TestNetwork;
let sshd: TestSshd;
let cli: string;
let work: string;

beforeAll(async () => {
  if (!canUseNetns()) throw new Error("this test needs root and iproute2 (run scripts/prepare-test-env.mjs)");
  work = mkdtempSync(join(tmpdir(), "cloudjail-tutorial-"));
  cli = await buildCli();
  network = createTestNetwork(["attacker"]);
  sshd = await startSshd(network, work);
});
afterAll(() => {
  sshd?.stop();
  network?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
  if (cli) rmSync(dirname(cli), { recursive: true, force: true });
});

async function waitFor(what: string, predicate: () => boolean, timeoutMs: number, debug: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${debug()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("a tutorial's jail.local on the bundled jail.conf", () => {
  it("reads the logpath it names (backend = auto, said at INFO) and bans a real ssh brute force", async () => {
    const attacker = network.clients[0]!;
    const daemonLog = join(work, "cloudjail.log");
    const socket = join(work, "run", "cloudjail.sock");
    // the bundled tree as installed (jail.conf, fail2ban.conf, filter.d, action.d), plus the user's two files
    const configDir = makeConfigDir(
      {
        "fail2ban.local": `[Definition]\nlogtarget = ${daemonLog}\nsocket = ${socket}\npidfile = ${join(work, "run", "cloudjail.pid")}\ndbfile = ${join(work, "db.sqlite3")}\n`,
        // what the tutorials write: maxretry 3, the auth log, no backend line
        "jail.local": `[DEFAULT]\nbantime = 300\nfindtime = 120\nmaxretry = 3\n\n[sshd]\nenabled = true\nlogpath = ${sshd.logPath}\n`,
      },
      bundledConfig,
    );
    let daemon: ChildProcess | undefined;
    const debug = () => {
      const read = (path: string) => {
        try {
          return readFileSync(path, "utf8");
        } catch {
          return "(missing)";
        }
      };
      return `--- daemon log\n${read(daemonLog)}\n--- sshd log (tail)\n${read(sshd.logPath).split("\n").slice(-10).join("\n")}`;
    };
    const client = (...argv: string[]) =>
      execFileSync(process.execPath, [cli, "client", "--socket", socket, ...argv], { encoding: "utf8" }).trim();
    const banned = () => {
      try {
        return execFileSync(
          "ip",
          ["netns", "exec", network.server, "nft", "list", "set", "inet", "cloudjail", "addr4-sshd"],
          {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
          },
        ).includes(attacker.address);
      } catch {
        return false;
      }
    };
    try {
      daemon = spawn("ip", ["netns", "exec", network.server, process.execPath, cli, "server", "--config", configDir], {
        stdio: ["ignore", "inherit", "inherit"],
      });
      await waitFor(
        "the daemon",
        () => {
          try {
            return client("ping") === "Server replied: pong";
          } catch {
            return false;
          }
        },
        15_000,
        debug,
      );
      expect(tcpConnects(network, attacker.name, 22)).toBe(true);
      for (let attempt = 0; attempt < 6 && !banned(); attempt++) {
        expect(sshPasswordAttempt(network, attacker.name, `wrong-${attempt}`)).not.toBe(0);
      }
      await waitFor("the ban in the firewall", banned, 10_000, debug);
      expect(tcpConnects(network, attacker.name, 22, 1000)).toBe(false);
      expect(client("status", "sshd")).toContain(`Banned IP list:\t${attacker.address}`);
      expect(client("status", "sshd")).toContain(`File list:\t${sshd.logPath}`);
      expect(readFileSync(daemonLog, "utf8")).toContain(
        `INFO    [sshd] reading the files of logpath (backend = auto: ${sshd.logPath} exists)`,
      );
    } finally {
      if (daemon && daemon.exitCode === null) {
        const exited = new Promise((resolve) => daemon!.once("exit", resolve));
        daemon.kill("SIGTERM");
        await exited;
      }
      rmSync(configDir, { recursive: true, force: true });
    }
  }, 120_000);
});

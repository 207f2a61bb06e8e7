// A tutorial's jail.local on the bundled configuration, as a new user writes it (no backend line): the bundled
// jail.conf must read the logpath the user gave and ban a real ssh brute force. The sshd runs in a network
// namespace, the attacker guesses passwords with the real ssh client from another, and the daemon bans with the
// bundled nftables action inside the server namespace only.
import { type ChildProcess, execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tcpConnects } from "../support/netns.js";
import {
  clientOf,
  readOrMissing,
  startServerInNetns,
  stopServer,
  useSshdNetwork,
  waitFor,
} from "../support/netns-daemon.js";
import { sshPasswordAttempt } from "../support/sshd.js";
import { bundledConfig, makeConfigDir } from "../support/test-config.js";

const e2e = useSshdNetwork("cloudjail-tutorial-", ["attacker"]);

describe("a tutorial's jail.local on the bundled jail.conf", () => {
  it("reads the logpath it names (backend = auto, said at INFO) and bans a real ssh brute force", async () => {
    const { network, sshd, cli, work } = e2e;
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
    const debug = () =>
      `--- daemon log\n${readOrMissing(daemonLog)}\n--- sshd log (tail)\n${readOrMissing(sshd.logPath).split("\n").slice(-10).join("\n")}`;
    const client = clientOf(cli, socket);
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
      daemon = await startServerInNetns(network, cli, ["--config", configDir], socket, debug);
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
      await stopServer(daemon);
      rmSync(configDir, { recursive: true, force: true });
    }
  }, 120_000);
});

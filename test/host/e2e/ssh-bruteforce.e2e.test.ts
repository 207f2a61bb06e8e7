// End to end, as a user meets it: a real sshd in a network namespace, an attacker guessing passwords with the real
// ssh client (sshpass) from a second namespace, a well-behaved client in a third. The daemon runs inside the server
// namespace, so its firewall commands change that namespace's tables only, never the host's.
import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fail2banConfig, requireFail2ban } from "../../support/reference.js";
import { tcpConnects } from "../support/netns.js";
import {
  clientOf,
  readOrMissing,
  startServerInNetns,
  stopServer,
  useSshdNetwork,
  waitFor,
} from "../support/netns-daemon.js";
import { sshKeyLogin, sshPasswordAttempt } from "../support/sshd.js";
import { makeConfigDir } from "../support/test-config.js";

const BANTIME = 20;

const e2e = useSshdNetwork("cloudjail-e2e-", ["attacker", "good"]);

const cases = [
  { banaction: "nftables", inspect: ["nft", "list", "set", "inet", "cloudjail", "addr4-sshd"], stock: false },
  { banaction: "iptables-multiport", inspect: ["iptables", "-w", "-S", "cj-sshd"], stock: false },
  // a fail2ban user's migration: fail2ban's own tree, its stock jail.conf and action.d/iptables-multiport.conf,
  // only the sshd jail enabled in jail.local
  {
    banaction: "fail2ban's own jail.conf and iptables-multiport",
    inspect: ["iptables", "-w", "-S", "f2b-sshd"],
    stock: true,
  },
];

/** The daemon's settings file, and the jail as the case configures it. */
function caseConfig(
  run: string,
  daemonLog: string,
  socket: string,
  logPath: string,
  banaction: string,
  stock: boolean,
) {
  const settings = `[Definition]\nloglevel = INFO\nlogtarget = ${daemonLog}\nsocket = ${socket}\npidfile = ${join(run, "pid")}\ndbfile = ${join(run, "db.sqlite3")}\n`;
  const defaults = `[DEFAULT]\nbantime = ${BANTIME}\nfindtime = 10m\nmaxretry = 3\nignoreself = false\n\n`;
  if (stock) {
    requireFail2ban();
    return makeConfigDir(
      { "fail2ban.local": settings, "jail.local": `${defaults}[sshd]\nenabled = true\nlogpath = ${logPath} tail\n` },
      fail2banConfig,
    );
  }
  return makeConfigDir({
    "fail2ban.conf": settings,
    "jail.conf": `${defaults}[sshd]\nenabled = true\nlogpath = ${logPath} tail\naction = ${banaction}[port=22, protocol=tcp]\n`,
  });
}

describe.each(cases)("sshd brute force banned with $banaction", ({ banaction, inspect, stock }) => {
  it("bans the attacker in the firewall, keeps the good client in, lifts the ban after bantime, survives a restart", async () => {
    const { network, sshd, cli, work } = e2e;
    const attacker = network.clients[0]!;
    const good = network.clients[1]!;
    const run = mkdtempSync(join(work, "case-"));
    const daemonLog = join(run, "cloudjail.log");
    const socket = join(run, "cloudjail.sock");
    const configDir = caseConfig(run, daemonLog, socket, sshd.logPath, banaction, stock);
    let daemon: ChildProcess | undefined;
    const debug = () =>
      `--- daemon log\n${readOrMissing(daemonLog)}\n--- sshd log (tail)\n${readOrMissing(sshd.logPath).split("\n").slice(-15).join("\n")}`;
    const client = clientOf(cli, socket);
    const startDaemon = async () => {
      daemon = await startServerInNetns(network, cli, ["--config", configDir], socket, debug);
    };
    const banned = () => {
      try {
        return execFileSync("ip", ["netns", "exec", network.server, ...inspect], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        }).includes(attacker.address);
      } catch {
        return false;
      }
    };
    try {
      await startDaemon();
      expect(sshKeyLogin(network, good.name, sshd.clientKey)).toBe(true);
      expect(tcpConnects(network, attacker.name, 22)).toBe(true);

      // Wrong passwords until the daemon reacts (maxretry = 3); each attempt is a real ssh session.
      for (let attempt = 0; attempt < 6 && !banned(); attempt++) {
        expect(sshPasswordAttempt(network, attacker.name, `wrong-${attempt}`)).not.toBe(0);
      }
      await waitFor("the ban in the firewall", banned, 10_000, debug);
      const bannedAt = Date.now();
      expect(tcpConnects(network, attacker.name, 22, 1000)).toBe(false);
      expect(tcpConnects(network, good.name, 22)).toBe(true);
      expect(sshKeyLogin(network, good.name, sshd.clientKey)).toBe(true);
      expect(client("status", "sshd")).toContain(`Banned IP list:\t${attacker.address}`);
      expect(readFileSync(daemonLog, "utf8")).toMatch(
        new RegExp(`NOTICE  \\[sshd\\] Ban ${attacker.address.replace(/\./g, "\\.")}`),
      );

      // Restart: the ban comes back from the store before bantime is over.
      expect(client("stop")).toBe("Shutdown successful");
      await new Promise((resolve) => daemon!.once("exit", resolve));
      expect(banned()).toBe(false); // stop removed the firewall state...
      await startDaemon();
      await waitFor("the restored ban", banned, 10_000, debug); // ...and start put it back
      expect(Date.now() - bannedAt).toBeLessThan(BANTIME * 1000);
      expect(tcpConnects(network, attacker.name, 22, 1000)).toBe(false);
      expect(readFileSync(daemonLog, "utf8")).toContain(`[sshd] Restore Ban ${attacker.address}`);

      // After bantime the attacker may connect again.
      await waitFor("the unban", () => !banned(), BANTIME * 1000 + 10_000, debug);
      expect(Date.now() - bannedAt).toBeGreaterThanOrEqual(BANTIME * 1000 - 1500);
      expect(tcpConnects(network, attacker.name, 22)).toBe(true);
      expect(readFileSync(daemonLog, "utf8")).toContain(`[sshd] Unban ${attacker.address}`);
    } finally {
      await stopServer(daemon);
      rmSync(configDir, { recursive: true, force: true });
    }
  }, 120_000);
});

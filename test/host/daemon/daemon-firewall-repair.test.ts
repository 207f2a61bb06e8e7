// The firewall is kept equal to the store: with thousands of bans in an nftables set (in a network namespace the
// test creates), deleting the whole table or flushing the set behind the daemon's back is repaired by the periodic
// check alone, with no new log line to wake the daemon, and the banned client is refused again.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressesIn } from "../../../host/actions/action.js";
import { executeCommand } from "../../../host/control/control-commands.js";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { waitFor as waitForDaemon } from "../support/live-log.js";
import { canUseNetns, createTestNetwork, startTcpServer, type TestNetwork, tcpConnects } from "../support/netns.js";
import { makeConfigDir } from "../support/test-config.js";

const port = 2222;
const checkMs = 500;
const work = mkdtempSync(join(tmpdir(), "cloudjail-repair-"));
const authLog = join(work, "auth.log");
const daemonLog = join(work, "cloudjail.log");
const configDir = makeConfigDir({
  "fail2ban.conf": `[Definition]
loglevel = INFO
logtarget = ${daemonLog}
socket = ${join(work, "run", "cloudjail.sock")}
pidfile = ${join(work, "run", "cloudjail.pid")}
dbfile = ${join(work, "db", "cloudjail.sqlite3")}
`,
  "jail.conf": `[sshd]
enabled = true
port = ${port}
bantime = 1h
logpath = ${authLog}
action = nftables
`,
});

let network: TestNetwork;
let server: ChildProcess;

beforeAll(async () => {
  if (!canUseNetns()) throw new Error("these tests need root and iproute2 (run scripts/prepare-test-env.mjs)");
  network = createTestNetwork(["attacker"]);
  server = await startTcpServer(network, port);
  writeFileSync(authLog, "");
  writeFileSync(daemonLog, "");
});
afterAll(() => {
  server?.kill();
  network?.destroy();
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

/** The addresses in a set of the `inet cloudjail` table, none when the set (or table) is gone. */
function setMembers(set: string): Set<string> {
  try {
    return addressesIn(network.exec(network.server, ["nft", "list", "set", "inet", "cloudjail", set]));
  } catch {
    return new Set();
  }
}

describe("firewall repair", () => {
  it("puts back a deleted table and a flushed set within the check interval, with no new log line", async () => {
    const attacker = network.clients[0]!;
    const settings = readDaemonSettings(configDir);
    const daemon = new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, settings.loglevel),
      commandPrefix: ["ip", "netns", "exec", network.server],
      firewallCheckIntervalMs: checkMs,
      pollIntervalMs: 100,
    });
    await daemon.start();
    try {
      const many = Array.from({ length: 5000 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
      const v6 = ["2001:db8::bad", "2001:db8::beef"];
      expect(await daemon.banIps("sshd", [...many, attacker.address, ...v6])).toBe(5003);
      expect(setMembers("addr4-sshd").size).toBe(5001);
      expect(tcpConnects(network, attacker.name, port, 800)).toBe(false);
      const logSize = statSync(authLog).size;
      const wait = (what: string, predicate: () => boolean) => waitForDaemon(what, predicate, daemonLog, 10 * checkMs);

      // a firewall service reload, say: the whole table is gone
      network.exec(network.server, ["nft", "delete", "table", "inet", "cloudjail"]);
      // (no look at the gap here: the check may already have run; the warnings below say what it found)
      await wait(
        "the table repaired",
        () => setMembers("addr4-sshd").size === 5001 && setMembers("addr6-sshd").size === 2,
      );
      expect(tcpConnects(network, attacker.name, port, 800)).toBe(false);
      expect([...setMembers("addr6-sshd")].sort()).toEqual(v6);

      // the set alone emptied: the chain and its rule are still there, only the list tells
      network.exec(network.server, ["nft", "flush", "set", "inet", "cloudjail", "addr4-sshd"]);
      await wait("the set repaired", () => setMembers("addr4-sshd").size === 5001);
      expect(setMembers("addr4-sshd")).toEqual(new Set([...many, attacker.address]));
      expect(tcpConnects(network, attacker.name, port, 800)).toBe(false);

      expect(statSync(authLog).size).toBe(logSize);
      const warnings = readFileSync(daemonLog, "utf8")
        .split("\n")
        .filter((line) => line.includes("Firewall repair"));
      expect(warnings.every((line) => line.includes(" WARNING "))).toBe(true);
      // which check sees the table gone depends on when it ran (a check may list IPv4 just before the delete)
      expect(
        warnings.filter((line) => /: 5001 of 5001 inet4 bans of action nftables missing, /.test(line)),
      ).toHaveLength(2);
      expect(
        warnings.filter((line) => /: 2 of 2 inet6 bans of action nftables missing, its rules are gone/.test(line)),
      ).toHaveLength(1);
      expect(warnings.at(-1)).toMatch(
        /5001 of 5001 inet4 bans of action nftables missing, not in its list; putting them back/,
      );
      // nothing missing: the next check (after one that may be running) finds nothing to say
      await daemon.repairFirewall();
      expect(await daemon.repairFirewall()).toBe(0);
    } finally {
      await daemon.stop();
    }
  }, 60_000);

  it("repairs at a reload and when a ban finds the rules gone (actioncheck), without the periodic check", async () => {
    const settings = readDaemonSettings(configDir);
    const daemon = new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, settings.loglevel),
      commandPrefix: ["ip", "netns", "exec", network.server],
      firewallCheckIntervalMs: 0,
      actionBackoffMs: 10,
      pollIntervalMs: 100,
    });
    await daemon.start();
    try {
      // (the bans of the test above, restored from the store at start, are there too)
      const restored = (await daemon.bannedIps("sshd")).filter((ip) => !ip.includes(":")).length;
      const some = Array.from({ length: 300 }, (_, i) => `198.19.${i >> 8}.${i & 255}`);
      await daemon.banIps("sshd", some);
      const total = restored + 300;
      expect(setMembers("addr4-sshd").size).toBe(total);

      network.exec(network.server, ["nft", "flush", "set", "inet", "cloudjail", "addr4-sshd"]);
      expect(await executeCommand(daemon, ["reload"])).toBe("OK");
      expect(setMembers("addr4-sshd").size).toBe(total);

      // the next ban fails, actioncheck finds the chain gone, actionstart runs again: the others come back too
      network.exec(network.server, ["nft", "delete", "table", "inet", "cloudjail"]);
      expect(await daemon.banIp("sshd", "198.19.200.1")).toBe(1);
      const wait = (what: string, predicate: () => boolean) => waitForDaemon(what, predicate, daemonLog, 10_000);
      await wait("the bans back after the failed check", () => setMembers("addr4-sshd").size === total + 1);
    } finally {
      await daemon.stop();
    }
  }, 60_000);
});

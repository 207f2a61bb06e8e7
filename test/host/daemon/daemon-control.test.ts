// The daemon as it runs on a server: live log lines, the control socket with fail2ban-client's commands, its own
// log feeding a recidive jail, and bans restored from the SQLite store after a restart.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sendCommand } from "../../../host/control/control-client.js";
import { executeCommand } from "../../../host/control/control-commands.js";
import { startControlServer, stopControlServer } from "../../../host/control/control-server.js";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { appendFailures, waitFor as waitForDaemon } from "../support/live-log.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-daemon-"));
const authLog = join(work, "auth.log");
const daemonLog = join(work, "cloudjail.log");
writeFileSync(authLog, "");
writeFileSync(daemonLog, "");
const configDir = makeConfigDir({
  "fail2ban.conf": `[Definition]
loglevel = INFO
logtarget = ${daemonLog}
socket = ${join(work, "run", "cloudjail.sock")}
pidfile = ${join(work, "run", "cloudjail.pid")}
dbfile = ${join(work, "db", "cloudjail.sqlite3")}
dbpurgeage = 1d
`,
  "jail.conf": `[DEFAULT]
bantime = 1h
findtime = 10m
maxretry = 5
action = dry-run

[sshd]
enabled = true
logpath = ${authLog}

[recidive]
enabled = true
logpath = ${daemonLog}
maxretry = 2
findtime = 1d
bantime = 1w
`,
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

const settings = readDaemonSettings(configDir);

function failures(ip: string, count: number): void {
  appendFailures(authLog, ip, count);
}

function waitFor(what: string, predicate: () => Promise<boolean> | boolean): Promise<void> {
  return waitForDaemon(what, predicate, daemonLog);
}

async function startDaemon(): Promise<{ daemon: Daemon; server: Server; printed: string[] }> {
  const printed: string[] = [];
  const daemon = new Daemon({
    settings,
    log: openDaemonLog(settings.logtarget, settings.loglevel),
    dryRun: true,
    printDryRun: (jail, text) => printed.push(`${jail}: ${text}`),
    pollIntervalMs: 100,
  });
  await daemon.start();
  const server = await startControlServer(settings.socket, (argv) => executeCommand(daemon, argv));
  return { daemon, server, printed };
}

async function client(...argv: string[]): Promise<string> {
  const response = await sendCommand(settings.socket, argv);
  if (!response.ok) throw new Error(response.error);
  return response.output;
}

describe("daemon with its control socket", () => {
  it("answers fail2ban-client's commands, feeds recidive, and restores bans after a restart", async () => {
    let { daemon, server, printed } = await startDaemon();
    try {
      expect(statSync(settings.socket).mode & 0o777).toBe(0o600);
      expect(readFileSync(settings.pidfile, "utf8").trim()).toBe(String(process.pid));
      expect(await client("ping")).toBe("Server replied: pong");
      expect(await client("status")).toBe("Status\n|- Number of jail:\t2\n`- Jail list:\tsshd, recidive");

      failures("203.0.113.7", 5);
      await waitFor("the ban", async () => (await daemon.bannedIps("sshd")).includes("203.0.113.7"));
      await waitFor("the dry-run ban", () => printed.some((text) => text.includes('CJ_IP="203.0.113.7"')));
      expect(await client("status", "sshd")).toBe(
        [
          "Status for the jail: sshd",
          "|- Filter",
          "|  |- Currently failed:\t0",
          "|  |- Total failed:\t5",
          `|  \`- File list:\t${authLog}`,
          "`- Actions",
          "   |- Currently banned:\t1",
          "   |- Total banned:\t1",
          "   `- Banned IP list:\t203.0.113.7",
        ].join("\n"),
      );

      // An operator unbans it; it comes back and is banned again: the second ban in the daemon's own log
      // makes the recidive jail ban it for a week.
      expect(await client("set", "sshd", "unbanip", "203.0.113.7")).toBe("1");
      // Failures dated at or before a ban's second do not count towards the next one, as in fail2ban.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      failures("203.0.113.7", 5);
      await waitFor("the recidive ban", async () => (await daemon.bannedIps("recidive")).includes("203.0.113.7"));
      expect(readFileSync(daemonLog, "utf8")).toMatch(
        /cloudjail\.actions +\[\d+\]: NOTICE {2}\[recidive\] Ban 203\.0\.113\.7\n/,
      );

      expect(await client("set", "sshd", "banip", "198.51.100.5")).toBe("1");
      expect(await client("set", "sshd", "banip", "198.51.100.5")).toBe("0");
      expect(await client("set", "sshd", "unbanip", "198.51.100.5")).toBe("1");
      await expect(client("set", "sshd", "banip", "not-an-ip; rm -rf /")).rejects.toThrow("is not a valid IP address");
      await expect(client("status", "nope")).rejects.toThrow("does not exist");
    } finally {
      await daemon.stop();
      await stopControlServer(server, settings.socket);
    }

    // Restart: the bans in force come back from the store and are enforced again. The log is read again from
    // findtime ago; lines already counted are recognised by their event ids and make no new ban.
    const logBefore = readFileSync(daemonLog, "utf8").length;
    ({ daemon, server, printed } = await startDaemon());
    try {
      await daemon.idle();
      expect(await daemon.bannedIps("sshd")).toEqual(["203.0.113.7"]);
      expect(readFileSync(daemonLog, "utf8").slice(logBefore)).not.toMatch(/\] Ban /);
      expect(await daemon.bannedIps("recidive")).toEqual(["203.0.113.7"]);
      expect(readFileSync(daemonLog, "utf8")).toContain("NOTICE  [sshd] Restore Ban 203.0.113.7");
      await waitFor("the restored ban", () =>
        printed.some((text) => text.includes("dry-run: ban") || text.includes('CJ_IP="203.0.113.7"')),
      );

      expect(await client("set", "sshd", "addignoreip", "192.0.2.0/24")).toBe(
        "These IP addresses/networks are ignored:\n`- 192.0.2.0/24",
      );
      failures("192.0.2.5", 6);
      failures("198.51.100.9", 2);
      await waitFor(
        "the ignored lines",
        () => (readFileSync(daemonLog, "utf8").match(/\[sshd\] Ignore 192\.0\.2\.5 by ip/g)?.length ?? 0) >= 6,
      );
      await daemon.idle();
      expect(readFileSync(daemonLog, "utf8").match(/\[sshd\] Ignore 192\.0\.2\.5 by ip/g)).toHaveLength(6);
      expect(await daemon.bannedIps("sshd")).toEqual(["203.0.113.7"]);
      expect(await client("reload")).toBe("OK");
      expect(await daemon.bannedIps("sshd")).toEqual(["203.0.113.7"]);
      expect(await client("unban", "--all")).toBe("2");
      expect(await daemon.bannedIps("sshd")).toEqual([]);
      expect(await client("stop")).toBe("Shutdown successful");
      await daemon.whenStopped();
    } finally {
      await daemon.stop();
      await stopControlServer(server, settings.socket);
    }
  });
});

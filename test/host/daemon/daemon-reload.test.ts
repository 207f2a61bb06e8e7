// Reload as fail2ban does it: a jail whose actions and options are unchanged keeps its actions running (no moment
// without its bans in the firewall); a changed jail, or `reload --restart`, stops and starts them and restores the
// bans from the store; what the store ended meanwhile leaves the firewall. Dry-run commands show what would run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { executeCommand } from "../../../host/control/control-commands.js";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { makeJailPolicy } from "../../../shared/jail/jail-policy.js";
import { JailRunner } from "../../../shared/jail/jail-runner.js";
import { SqliteStore } from "../../../shared/store/sqlite-store.js";
import { appendFailures, waitFor as waitForDaemon } from "../support/live-log.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-reload-"));
const authLog = join(work, "auth.log");
const daemonLog = join(work, "cloudjail.log");
const dbfile = join(work, "db", "cloudjail.sqlite3");
writeFileSync(authLog, "");
writeFileSync(daemonLog, "");
const jailConf = (bantime: string) => `[DEFAULT]
findtime = 10m
maxretry = 5
action = dry-run

[sshd]
enabled = true
bantime = ${bantime}
logpath = ${authLog}
`;
const configDir = makeConfigDir({
  "fail2ban.conf": `[Definition]
loglevel = INFO
logtarget = ${daemonLog}
socket = ${join(work, "run", "cloudjail.sock")}
pidfile = ${join(work, "run", "cloudjail.pid")}
dbfile = ${dbfile}
`,
  "jail.conf": jailConf("1h"),
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

function failures(ip: string, count: number): void {
  appendFailures(authLog, ip, count);
}

function waitFor(what: string, predicate: () => Promise<boolean> | boolean): Promise<void> {
  return waitForDaemon(what, predicate, daemonLog);
}

/** What the dry-run actions would have run, in short: started, stopped, ban <ips>, unban <ip>. */
function summarise(printed: readonly string[]): string[] {
  return printed.map((text) => {
    if (text.includes("jail %s started")) return "started";
    if (text.includes("jail %s stopped")) return "stopped";
    const ips = [...text.matchAll(/CJ_IPS?="([^"]*)"/g)].map((m) => m[1]).join(" ");
    if (text.includes("dry-run: unban")) return `unban ${ips}`;
    if (text.includes("dry-run: ban")) return `ban ${ips}`;
    return text;
  });
}

describe("daemon reload", () => {
  it("keeps unchanged actions running, restarts changed ones, and applies what the store ended meanwhile", async () => {
    const settings = readDaemonSettings(configDir);
    const printed: string[] = [];
    const daemon = new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, settings.loglevel),
      dryRun: true,
      printDryRun: (_jail, text) => printed.push(text),
      pollIntervalMs: 100,
    });
    await daemon.start();
    try {
      failures("203.0.113.9", 5);
      failures("203.0.113.10", 5);
      await waitFor("the bans", async () => (await daemon.bannedIps("sshd")).length === 2);
      // bans decided in the same lines go to the firewall in one batch: counted by address
      const bannedByScripts = () =>
        summarise(printed)
          .filter((step) => step.startsWith("ban "))
          .flatMap((step) => step.split(" ").slice(1));
      await waitFor("the dry-run bans", () => bannedByScripts().length >= 2);
      expect(summarise(printed)[0]).toBe("started");

      // nothing changed: no command at all, the bans never leave the firewall
      printed.length = 0;
      await daemon.reload();
      expect(summarise(printed)).toEqual([]);
      expect(await daemon.bannedIps("sshd")).toEqual(["203.0.113.10", "203.0.113.9"]);
      expect(readFileSync(daemonLog, "utf8")).toContain("Jail 'sshd' reloaded, actions kept");

      // another process (or an expiry) ended a ban in the store: the kept actions lift it at the reload
      const other = new SqliteStore(dbfile);
      const runner = new JailRunner({ store: other, jails: [makeJailPolicy("sshd", {})] });
      expect(await runner.unban("sshd", "203.0.113.9", Date.now() / 1000)).toBeDefined();
      await other.close();
      await daemon.reload("sshd");
      expect(summarise(printed)).toEqual(["unban 203.0.113.9"]);
      expect(await daemon.bannedIps("sshd")).toEqual(["203.0.113.10"]);

      // the jail's options changed: actions stopped and started again, the ban in force restored
      printed.length = 0;
      writeFileSync(join(configDir, "jail.conf"), jailConf("2h"));
      await daemon.reload();
      expect(summarise(printed)).toEqual(["unban 203.0.113.10", "stopped", "started", "ban 203.0.113.10"]);

      // fail2ban-client's reload --restart: the same without a change
      printed.length = 0;
      expect(await executeCommand(daemon, ["reload", "--restart", "sshd"])).toBe("OK");
      expect(summarise(printed)).toEqual(["unban 203.0.113.10", "stopped", "started", "ban 203.0.113.10"]);
      await expect(executeCommand(daemon, ["reload", "--force"])).rejects.toThrow(/usage: reload \[--restart\]/);
    } finally {
      await daemon.stop();
    }
  });
});

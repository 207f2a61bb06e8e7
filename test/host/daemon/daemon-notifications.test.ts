// Mail actions beside the firewall, as a user runs `action = %(action_mwl)s`: the ban reaches the firewall whatever
// the mailer does; a failing mailer is reported as a failed notification (not a failed ban), retried a bounded number
// of times; a ban restored at start is not mailed again; start and stop mails carry their own subjects; a NUL byte in
// a matched line reaches the mail escaped instead of making the action fail. `sendmail` is a script on PATH that
// keeps each message in a folder (or fails, or hangs, as the test says).
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShellCommandRunner } from "../../../host/actions/command-runner.js";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { appendFailures, waitFor as waitForDaemon } from "../support/live-log.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-notify-"));
const bin = join(work, "bin");
const mails = join(work, "mails");
const firewall = join(work, "firewall.txt");
const authLog = join(work, "auth.log");
const daemonLog = join(work, "cloudjail.log");
const savedPath = process.env.PATH;

/**
 * The fake sendmail: `mode` is `ok` (keeps the message), `fail` (exit 1) or `slow-fail` (the first call hangs 5 s,
 * then every call fails at once).
 */
function sendmail(mode: "ok" | "fail" | "slow-fail"): void {
  const body =
    mode === "ok"
      ? // written aside, then moved in: the test never reads half a message
        `name="mail.$(date +%s%N).$$"; cat > "${work}/$name" && mv "${work}/$name" "${mails}/$name"`
      : `${mode === "slow-fail" ? `[ -e "${work}/hung" ] || { touch "${work}/hung"; sleep 5; }; ` : ""}` +
        `echo "sendmail: cannot reach the relay" >&2; exit 1`;
  writeFileSync(join(bin, "sendmail"), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, "sendmail"), 0o755);
}

function mailTexts(): string[] {
  return readdirSync(mails)
    .sort()
    .map((name) => readFileSync(join(mails, name), "utf8"));
}

const configDir = makeConfigDir({
  "fail2ban.conf": `[Definition]
loglevel = INFO
logtarget = ${daemonLog}
socket = ${join(work, "run", "cloudjail.sock")}
pidfile = ${join(work, "run", "cloudjail.pid")}
dbfile = ${join(work, "db", "cloudjail.sqlite3")}
`,
  "action.d/record.conf": `[Definition]
actionban = echo ban <ip> >> '${firewall}'
actionunban = echo unban <ip> >> '${firewall}'
`,
  "jail.conf": `[DEFAULT]
findtime = 10m
bantime = 1h
maxretry = 2

[sshd]
enabled = true
logpath = ${authLog}
action = record
         sendmail-whois-lines[dest="root", mailcmd="sendmail -i root"]
`,
});

beforeAll(() => {
  mkdirSync(bin);
  mkdirSync(mails);
  writeFileSync(authLog, "");
  writeFileSync(daemonLog, "");
  writeFileSync(firewall, "");
  process.env.PATH = `${bin}:${savedPath}`;
});
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

function newDaemon(): Daemon {
  const settings = readDaemonSettings(configDir);
  return new Daemon({
    settings,
    log: openDaemonLog(settings.logtarget, settings.loglevel),
    commandRunner: () => new ShellCommandRunner(),
    pollIntervalMs: 100,
    notificationRetry: { firstDelayMs: 100, rounds: 3 },
  });
}

const waitFor = (what: string, predicate: () => Promise<boolean> | boolean) =>
  waitForDaemon(what, predicate, daemonLog, 15_000);
const logText = () => readFileSync(daemonLog, "utf8");
const firewallLines = () => readFileSync(firewall, "utf8").split("\n").filter(Boolean);

describe("notification actions", () => {
  it("never hold or fail the firewall ban, retry a bounded number of times, and say it is theirs", async () => {
    sendmail("slow-fail");
    const daemon = newDaemon();
    await daemon.start();
    try {
      appendFailures(authLog, "192.0.2.21", 2);
      // the firewall ban is there while the mailer still hangs on the start mail (5 s before it fails)
      await waitFor("the firewall ban", () => firewallLines().includes("ban 192.0.2.21"));
      expect(logText()).not.toContain("Notification failed");
      await waitFor("the ban notice given up", () => logText().includes("(the ban of 192.0.2.21; the firewall"));
      await waitFor("the last try", () => /the ban of 192\.0\.2\.21.*given up/.test(logText()));
      const text = logText();
      expect(text).not.toMatch(/Failed to ban/);
      const notices = text.split("\n").filter((line) => line.includes("the ban of 192.0.2.21"));
      expect(notices).toHaveLength(3);
      expect(notices.map((line) => / ERROR /.test(line))).toEqual([true, true, true]);
      expect(notices[0]).toMatch(/will retry in 0.1 s \(try 1 of 3\): action sendmail-whois-lines: actionban failed/);
      expect(notices[2]).toMatch(/given up: .*cannot reach the relay/);
      expect(await daemon.bannedIps("sshd")).toEqual(["192.0.2.21"]);
    } finally {
      await daemon.stop();
    }
  }, 40_000);

  it("mails start, ban and stop with fail2ban's subjects, not restored bans, and escapes a NUL byte", async () => {
    sendmail("ok");
    writeFileSync(daemonLog, "");
    const daemon = newDaemon();
    await daemon.start();
    try {
      // restored from the store (the ban of the test above): no mail
      await waitFor("the restore", () => logText().includes("Restore Ban 192.0.2.21"));
      await waitFor("the start mail", () => mailTexts().length === 1);
      const host = mailTexts()[0]!.match(/^Subject: \[Cloudjail\] sshd: started on (\S+)$/m)?.[1];
      expect(host).toBeTruthy();

      const line = `${new Date().toISOString()} web1 sshd[9]: Failed password for invalid user a\u0000b from 192.0.2.22 port 1 ssh2`;
      writeFileSync(authLog, `${line}\n${line.replace("sshd[9]", "sshd[10]")}\n`, { flag: "a" });
      await waitFor("the ban mail", () => mailTexts().length === 2);
      const mail = mailTexts()[1]!;
      expect(mail).toContain(`Subject: [Cloudjail] sshd: banned 192.0.2.22 from ${host}\n`);
      expect(mail).toContain("for invalid user a\\x00b from 192.0.2.22");
      expect(mail).not.toContain("\u0000");
      expect(logText()).not.toMatch(/null bytes|Notification failed/);
    } finally {
      await daemon.stop();
    }
    const texts = mailTexts();
    expect(texts).toHaveLength(3);
    expect(texts[2]).toMatch(/^Subject: \[Cloudjail\] sshd: stopped on \S+$/m);
    expect(texts.filter((text) => text.includes("192.0.2.21"))).toEqual([]);
  }, 40_000);
});

// Host mode against log injection: the daemon, replaying an sshd log whose user names carry forged addresses and host
// names, bans only the clients that sshd itself named. The jail asks for `usedns = yes`: host names in lines are still
// never resolved (an attacker chooses them), so a name alone never leads to a ban.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { executeCommand } from "../../../host/control/control-commands.js";
import { Daemon } from "../../../host/daemon/daemon.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { memoryLog } from "../support/memory-log.js";
import { makeConfigDir } from "../support/test-config.js";

// a filter whose lax tail (` on \S+`) could swallow the real address: the engine refuses such a match, loudly
const LAX_FILTER = String.raw`[Definition]
failregex = ^\s*\S+ app\[\d+\]: Disconnecting user \S+ <HOST>(?: on \S+)? port \d+$
hostposition = last
`;

const configDir = makeConfigDir({
  "filter.d/laxapp.conf": LAX_FILTER,
  "jail.conf": `[DEFAULT]
bantime = 10m
findtime = 10m
maxretry = 3
usedns = yes
action = nftables[port="22", protocol="tcp"]

[sshd]
enabled = true
filter = sshd[mode=aggressive]
logpath = /nonexistent/auth.log

[laxapp]
enabled = true
logpath = /nonexistent/app.log
`,
});
const logDir = mkdtempSync(join(tmpdir(), "cloudjail-injection-"));
afterAll(() => {
  rmSync(configDir, { recursive: true, force: true });
  rmSync(logDir, { recursive: true, force: true });
});

// three attempts each: forged 198.51.100.x and names in user names, real clients 192.0.2.x
const LINES = [
  "sshd-session[101]: Connection closed by invalid user x 198.51.100.7 on 192.0.2.7 port 56094 [preauth]",
  "sshd-session[102]: Disconnected from invalid user x 198.51.100.7 on 192.0.2.7 port 5555 [preauth]",
  "sshd-session[103]: Disconnecting invalid user x 198.51.100.7 on 192.0.2.7 port 5555: Change of username or service not allowed: (x 198.51.100.7 on,ssh-connection) -> (y,ssh-connection) [preauth]",
  "sshd-session[104]: Connection closed by invalid user x localhost on 192.0.2.8 port 40001 [preauth]",
  "sshd-session[105]: Connection closed by invalid user x forged.example on 192.0.2.8 port 40002 [preauth]",
  "sshd-session[106]: Failed password for invalid user x 169.254.169.254 port 1 on from 192.0.2.8 port 40003 ssh2",
  // a host name where the address stands (as sshd writes with UseDNS yes): never resolved, never banned
  "sshd-session[107]: Failed password for invalid user x from localhost port 40004 ssh2",
  "sshd-session[108]: Failed password for invalid user x from localhost port 40005 ssh2",
  "sshd-session[109]: Failed password for invalid user x from localhost port 40006 ssh2",
];

describe("daemon replay of injected sshd lines", () => {
  it("bans the real clients only, and resolves no name", async () => {
    const start = Date.UTC(2026, 11, 7, 10, 0, 0);
    const text = LINES.map((line, k) => `${new Date(start + k * 1000).toISOString()} srv ${line}`).join("\n");
    const logFile = join(logDir, "auth.log");
    writeFileSync(logFile, `${text}\n`);
    const appFile = join(logDir, "app.log");
    const app = [1, 2, 3].map(
      (k) =>
        `${new Date(start + k * 1000).toISOString()} srv app[7]: Disconnecting user x 198.51.100.9 on 192.0.2.9 port 4${k}`,
    );
    writeFileSync(appFile, `${app.join("\n")}\n`);
    const log = memoryLog();
    const printed: string[] = [];
    const daemon = new Daemon({
      settings: readDaemonSettings(configDir, { dbfile: ":memory:" }),
      log,
      dryRun: true,
      once: true,
      printDryRun: (jail, out) => printed.push(`${jail}: ${out}`),
      logpaths: { sshd: [logFile], laxapp: [appFile] },
    });
    await daemon.start();
    await daemon.runOnce();
    // counted, and shown by status under the Filter lines fail2ban prints (which keep their shape)
    const laxStatus = await executeCommand(daemon, ["status", "laxapp"]);
    expect(laxStatus).toContain("|- Filter\n|  |- Currently failed:\t0\n|  |- Total failed:\t0\n");
    expect(laxStatus).toContain("|  |- Refused (hostposition):\t3\n|  `- File list:");
    expect(await executeCommand(daemon, ["status", "sshd"])).not.toContain("Refused");
    await daemon.stop();
    const bans = log.lines.filter((line) => / Ban /.test(line)).map((line) => line.split("NOTICE  ")[1]);
    expect(bans).toEqual(["[sshd] Ban 192.0.2.7", "[sshd] Ban 192.0.2.8"]);
    // the lax filter's lines: refused, one ERROR each, nothing banned
    const refused = log.lines.filter((line) => line.includes("ERROR") && line.includes("[laxapp] refused a line"));
    expect(refused).toHaveLength(3);
    const everything = `${log.lines.join("\n")}\n${printed.join("\n")}`;
    for (const forged of ["198.51.100.7", "198.51.100.9", "169.254.169.254", "127.0.0.1", "::1", "forged.example"]) {
      expect(everything).not.toContain(`Ban ${forged}`);
      expect(printed.join("\n")).not.toContain(forged);
    }
  });
});

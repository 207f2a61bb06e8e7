// The quick start's pipeline: the daemon in replay mode over the bundled sample log, dry-run, SQLite store.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Daemon } from "../../../host/daemon/daemon.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { memoryLog } from "../support/memory-log.js";
import { bundledConfig, makeConfigDir } from "../support/test-config.js";

const configDir = makeConfigDir({
  "jail.conf": `[DEFAULT]
bantime = 10m
findtime = 10m
maxretry = 5
port = 0:65535
protocol = tcp
action = nftables[port="%(port)s", protocol="%(protocol)s"]

[sshd]
enabled = true
port = ssh
logpath = /nonexistent/auth.log
`,
});
afterAll(() => rmSync(configDir, { recursive: true, force: true }));

describe("daemon replay over the sample log", () => {
  it("bans the attackers, not the legitimate users nor the address written into a user name", async () => {
    const log = memoryLog();
    const printed: string[] = [];
    const daemon = new Daemon({
      settings: readDaemonSettings(configDir, { dbfile: ":memory:" }),
      log,
      dryRun: true,
      once: true,
      printDryRun: (jail, text) => printed.push(`${jail}: ${text}`),
      logpaths: { sshd: [join(bundledConfig, "sample", "auth.log")] },
    });
    await daemon.start();
    await daemon.runOnce();
    const active = await daemon.bannedIps("sshd");
    await daemon.stop();

    const decisions = log.lines.filter((line) => / (Ban|Unban) /.test(line)).map((line) => line.split("NOTICE  ")[1]);
    expect(decisions).toEqual([
      "[sshd] Ban 203.0.113.7",
      "[sshd] Ban 198.51.100.23",
      "[sshd] Ban 203.0.113.99",
      "[sshd] Unban 203.0.113.7",
      "[sshd] Unban 198.51.100.23",
      "[sshd] Unban 203.0.113.99",
      "[sshd] Ban 203.0.113.7",
    ]);
    expect(active).toEqual(["203.0.113.7"]);
    // fail2ban's own line shape, so that a recidive jail reads it.
    const banLine = log.lines.find((line) => line.endsWith("[sshd] Ban 198.51.100.23"));
    expect(banLine).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} cloudjail\.actions {7}\[1\]: NOTICE {2}\[sshd\] Ban 198\.51\.100\.23$/,
    );
    // The nftables action's commands, with the address passed in the environment, never in the script text.
    const bans = printed.filter((text) => text.includes("add element") && !text.includes("delete"));
    // the bans decided in the same lines go to the firewall in one batch (the action's batch form)
    expect(bans).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell text the action must produce
      'sshd: nft add element inet cloudjail addr4-sshd { "${CJ_IPS}" }   [CJ_IPS="203.0.113.7, 198.51.100.23, 203.0.113.99"]',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell text the action must produce
      'sshd: nft add element inet cloudjail addr4-sshd { "${CJ_IP}" }   [CJ_IP="203.0.113.7"]',
    ]);
    expect(printed.join("\n")).not.toContain("192.0.2.10");
  });
});

// Tutorial "3DN: fail2ban for SSH" (seeds/002): copy jail.conf to jail.local, then in jail.local's [sshd] set
// enabled = true, port = ssh, logpath = %(sshd_log)s, backend = %(sshd_backend)s. The copied tree starts with the
// sshd jail alone, reading the paths the tree defines.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundledConfig } from "../host/support/test-config.js";
import { TutorialHost } from "./tutorial-host.js";

// `cp jail.conf jail.local`, then the [sshd] section edited as the tutorial says
const jailConf = readFileSync(join(bundledConfig, "jail.conf"), "utf8");
const sshdSection = /^\[sshd\]\n(?:[^[\n].*\n|\n)*/m;
const copied = jailConf.replace(
  sshdSection,
  "[sshd]\nenabled = true\nport = ssh\nlogpath = %(sshd_log)s\nbackend = %(sshd_backend)s\n\n",
);
const host = new TutorialHost({ "jail.local": copied });
afterAll(() => host.close());

describe("tutorial: jail.local as a copy of jail.conf", () => {
  it("edits the [sshd] section in place", () => {
    expect(copied).not.toBe(jailConf);
    expect(copied.match(/^\[sshd\]$/gm)).toHaveLength(1);
  });

  it("starts the sshd jail only, and bans", async () => {
    const auth = host.log("auth.log");
    await host.start({ sshd: auth });
    expect(host.client("status").stdout).toBe("Status\n|- Number of jail:\t1\n`- Jail list:\tsshd\n");
    expect(host.client("get", "sshd", "logpath").stdout).toBe(`Current monitored log file(s):\n\`- ${auth}\n`);
    host.sshFailures(auth, "192.0.2.144", 5);
    await host.waitBanned("sshd", "192.0.2.144");
    expect(host.client("status", "sshd").stdout).toMatch(/`- Banned IP list:\t192\.0\.2\.144\n$/);
  }, 60_000);

  it("without the --logpath of the test, the jail reads what %(sshd_log)s and %(sshd_backend)s say", async () => {
    await host.close();
    const plain = new TutorialHost({ "jail.local": copied });
    try {
      const server = await plain.start({});
      const logpath = plain.client("get", "sshd", "logpath").stdout;
      const journal = plain.client("get", "sshd", "journalmatch").stdout;
      // Debian's sshd logs to the journal: the bundled paths choose it; a file tree would name /var/log/auth.log
      expect(logpath === "No file is currently monitored\n" ? journal : logpath).toMatch(
        /_SYSTEMD_UNIT=ssh\.service|\/var\/log\/auth\.log/,
      );
      expect(server.stderr()).not.toMatch(/ERROR/);
    } finally {
      await plain.close();
    }
  }, 60_000);
});

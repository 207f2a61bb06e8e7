// Tutorial "fail2ban on a VPS" (seeds/001): [DEFAULT] bantime 600 and action = %(action_mwl)s (ban and mail with
// whois and the log lines), the ssh jail with maxretry 5 on /var/log/auth.log. Five failed logins from one address
// ban it; the firewall gets the jail's chain with the address; a mail is prepared for the ban.
import { afterAll, describe, expect, it } from "vitest";
import { TutorialHost } from "./tutorial-host.js";

const host = new TutorialHost({
  "jail.local": `[DEFAULT]
bantime  = 600
destemail = admin@example.org
action = %(action_mwl)s

[sshd]
enabled = true
port    = ssh
filter  = sshd
logpath  = /var/log/auth.log
maxretry = 5
`,
});
afterAll(() => host.close());

describe("tutorial: ban and mail with action_mwl", () => {
  it("bans on the 5th failure, in the firewall and by mail", async () => {
    const auth = host.log("auth.log");
    await host.start({ sshd: auth });
    expect(host.client("get", "sshd", "actions").stdout).toMatch(
      /^The jail sshd has the following actions:\n.*sendmail-whois-lines/,
    );
    host.sshFailures(auth, "203.0.113.66", 4);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(host.client("get", "sshd", "banned", "203.0.113.66").stdout).toBe("0\n");
    host.sshFailures(auth, "203.0.113.66", 1);
    await host.waitBanned("sshd", "203.0.113.66");
    expect(host.client("get", "sshd", "bantime").stdout).toBe("600\n");
    const commands = host.dryRun("sshd").join("\n");
    // the firewall: the jail's chain and the address in the jail's set (ssh port only)
    expect(commands).toMatch(/cj-sshd/);
    expect(commands).toMatch(/203\.0\.113\.66/);
    // the mail: sendmail to destemail, about this address
    expect(commands).toMatch(/sendmail[^\n]*admin@example\.org|admin@example\.org[^\n]*sendmail/);
  }, 60_000);
});

// Tutorial "How Fail2Ban works to protect services" (seeds/004): [DEFAULT] ignoreip empty, bantime 10m, findtime
// 10m, maxretry 3, banaction iptables-multiport, action = %(action_)s; the ssh jail with maxretry 6. The ban action
// reads the jail's port: a non-standard ssh port is set in jail.local only (a reader's question there).
import { afterAll, describe, expect, it } from "vitest";
import { TutorialHost } from "./tutorial-host.js";

const host = new TutorialHost({
  "jail.local": `[DEFAULT]
ignoreip =
bantime = 10m
findtime = 10m
maxretry = 3
banaction = iptables-multiport
action = %(action_)s

[sshd]
enabled     = true
port        = 2222
filter      = sshd
logpath     = /var/log/auth.log
maxretry    = 6
`,
});
afterAll(() => host.close());

describe("tutorial: how fail2ban works", () => {
  it("reads 10m as 600 seconds, bans on the 6th failure, on the jail's own port", async () => {
    const auth = host.log("auth.log");
    await host.start({ sshd: auth });
    expect(host.client("get", "sshd", "bantime").stdout).toBe("600\n");
    expect(host.client("get", "sshd", "findtime").stdout).toBe("600\n");
    expect(host.client("get", "sshd", "maxretry").stdout).toBe("6\n");
    expect(host.client("get", "sshd", "ignoreip").stdout).toBe("No IP address/network is ignored\n");
    expect(host.client("get", "sshd", "actions").stdout).toBe(
      "The jail sshd has the following actions:\niptables-multiport\n",
    );
    expect(host.client("get", "sshd", "action", "iptables-multiport", "actionban").stdout).toMatch(
      /-s <ip> -j <blocktype>/,
    );

    host.sshFailures(auth, "192.0.2.61", 5);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(host.client("get", "sshd", "banned", "192.0.2.61").stdout).toBe("0\n");
    host.sshFailures(auth, "192.0.2.61", 1);
    await host.waitBanned("sshd", "192.0.2.61");
    // the port comes from jail.local: the action file is not edited
    expect(host.dryRun("sshd").join("\n")).toMatch(/-m multiport --dports 2222 -j cj-sshd/);
  }, 60_000);
});

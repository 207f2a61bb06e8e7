// Tutorial "Securing your network services with Fail2ban" (seeds/000): a jail.d file with [DEFAULT] bantime 300,
// findtime 120, maxretry 3 and the sshd jail enabled; `status` lists one jail; the firewall gets a chain per
// jail; a custom TightVNC filter and jail. Its jail file names the filter `tighvnc-auth` (a typo): cloudjail
// must say which filter is missing and where it was asked for, instead of running without the jail unnoticed.
import { afterAll, describe, expect, it } from "vitest";
import { TutorialHost } from "./tutorial-host.js";

const vncLine = (ip: string) => `Feb 25 10:00:01 server Xvnc[812]: authentication failed from ${ip}`;

const host = new TutorialHost({
  "jail.d/server.conf": "[DEFAULT]\nbantime = 300\nfindtime = 120\nmaxretry = 3\n\n[sshd]\nenabled = true\n",
  "filter.d/tightvnc-auth.conf": "[Definition]\nfailregex = authentication failed from <HOST>\nignoreregex =\n",
});
afterAll(() => host.close());

describe("tutorial: securing network services", () => {
  it("runs the sshd jail with the jail.d settings and bans after 3 failures", async () => {
    const auth = host.log("auth.log");
    await host.start({ sshd: auth });
    expect(host.client("status").stdout).toBe("Status\n|- Number of jail:\t1\n`- Jail list:\tsshd\n");
    expect(host.client("get", "sshd", "bantime").stdout).toBe("300\n");
    expect(host.client("get", "sshd", "findtime").stdout).toBe("120\n");
    expect(host.client("get", "sshd", "maxretry").stdout).toBe("3\n");
    // the jail's chain (fail2ban's f2b-sshd is cj-sshd here, in nftables' inet cloudjail table)
    expect(host.dryRun("sshd").join("\n")).toMatch(/add chain inet cloudjail cj-sshd/);

    host.sshFailures(auth, "198.51.100.23", 2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(host.client("get", "sshd", "banned", "198.51.100.23").stdout).toBe("0\n");
    host.sshFailures(auth, "198.51.100.23", 1);
    await host.waitBanned("sshd", "198.51.100.23");
    expect(host.daemonText()).toMatch(/NOTICE {2}\[sshd\] Ban 198\.51\.100\.23\n/);
  }, 60_000);

  it("the custom TightVNC filter matches its log line (cloudjail regex)", () => {
    const vnc = host.log("vnc.log");
    host.append(vnc, [vncLine("192.0.2.80"), "Feb 25 10:00:02 server Xvnc[812]: Connections: accepted: 192.0.2.81"]);
    const result = host.regex(vnc, "tightvnc-auth");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Lines: 2 lines, 0 ignored, 1 matched, 1 missed");
  });

  it("refuses the jail whose filter name is misspelt, naming it", () => {
    host.write(
      "jail.d/tightvnc-auth.conf",
      "[tightvnc-auth]\nenabled = true\nfilter = tighvnc-auth\nlogpath = /home/user/.vnc/server:1.log\n",
    );
    // a broken jail does not stop the others (the running daemon keeps sshd): `server --test`, which the systemd
    // unit also runs before every start, names it with the file that asked for it and exits 1
    const result = host.checkConfiguration();
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/ERROR.*tighvnc-auth/);
    expect(result.stdout).toMatch(/jail\.d\/tightvnc-auth\.conf/);
  }, 30_000);

  it("with the filter name right, the TightVNC jail bans", async () => {
    await host.close();
    const vncHost = new TutorialHost({
      "filter.d/tightvnc-auth.conf": "[Definition]\nfailregex = authentication failed from <HOST>\nignoreregex =\n",
      "jail.d/tightvnc-auth.conf":
        "[tightvnc-auth]\nenabled = true\nfilter = tightvnc-auth\nlogpath = /home/user/.vnc/server:1.log\nmaxretry = 3\n",
    });
    try {
      const vnc = vncHost.log("server:1.log");
      await vncHost.start({ "tightvnc-auth": vnc });
      expect(vncHost.client("status").stdout).toContain("`- Jail list:\ttightvnc-auth\n");
      const now = new Date();
      const stamp =
        now
          .toString()
          .slice(4, 15)
          .replace(/ \d{4}$/, "") + now.toTimeString().slice(0, 8);
      vncHost.append(
        vnc,
        [0, 1, 2].map(() => `${stamp} server Xvnc[812]: authentication failed from 203.0.113.50`),
      );
      await vncHost.waitBanned("tightvnc-auth", "203.0.113.50");
    } finally {
      await vncHost.close();
    }
  }, 60_000);
});

// Tutorial "Use Fail2ban to secure your server" (seeds/003): [DEFAULT] ignoreip 127.0.0.1/8 123.45.67.89, bantime
// 600, findtime 600, maxretry 3, banaction iptables-multiport; `set JAIL addignoreip`; testing the sshd filter with
// fail2ban-regex LOG /etc/fail2ban/filter.d/sshd.conf; a WordPress filter written by hand (with a backreference);
// `status`; lockout recovery: the jail's chain in iptables, `set JAIL unbanip`; `stop`.
import { afterAll, describe, expect, it } from "vitest";
import { requireFail2ban } from "../support/reference.js";
import { fail2banRegex } from "../support/regex-commands.js";
import { TutorialHost } from "./tutorial-host.js";

requireFail2ban();
const backreference = String.raw`<HOST> - - \[(\d{2})/\w{3}/\d{4}:\1:\1:\1 -\d{4}\] "POST /wp-login.php HTTP/1.1" 200`;
const plain = String.raw`<HOST> - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} -\d{4}\] "POST /wp-login.php HTTP/1.1" 200`;
const wordpressLine = (ip: string, time: string) =>
  `${ip} - - [${time} -0400] "POST /wp-login.php HTTP/1.1" 200 1906 "http://example.com/wp-login.php" "Mozilla/5.0"`;

const host = new TutorialHost({
  "jail.local": `[DEFAULT]
ignoreip = 127.0.0.1/8 123.45.67.89
bantime = 600
findtime = 600
maxretry = 3
banaction = iptables-multiport

[sshd]
enabled  = true
port     = ssh
filter   = sshd
logpath  = /var/log/auth.log
maxretry = 6

[wordpress]
enabled  = true
filter   = wordpress
logpath  = /var/www/html/andromeda/logs/access.log
port     = 80,443
`,
  "filter.d/wordpress.conf": `# Fail2Ban filter for WordPress\n\n[Definition]\n\nfailregex = ${backreference}\nignoreregex =\n`,
});
afterAll(() => host.close());

describe("tutorial: securing a server with fail2ban", () => {
  it("tests the sshd filter given as a file path, as fail2ban-regex LOG filter.d/sshd.conf", () => {
    const auth = host.log("regex-auth.log");
    host.sshFailures(auth, "192.0.2.9", 3);
    const result = host.regex(auth, `${host.tree}/filter.d/sshd.conf`);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Lines: 3 lines, 0 ignored, 3 matched, 0 missed");
  });

  it.each([
    ["with the backreference", backreference],
    ["without it", plain],
  ])("the hand-written WordPress failregex (%s) finds what fail2ban-regex finds", (_, failregex) => {
    const log = host.log("wp-access.log");
    host.append(log, [
      wordpressLine("123.45.67.89", "01/Oct/2015:12:46:34"),
      wordpressLine("192.0.2.7", "01/Oct/2015:01:01:01"),
    ]);
    const ours = host.regex(log, failregex);
    expect(ours.status).toBe(0);
    const lines = (text: string) => text.match(/^Lines: .*$/m)?.[0];
    expect(lines(ours.stdout)).toBe(lines(fail2banRegex([log, failregex], { tz: "UTC" })));
  });

  it("runs both jails, takes an ignoreip at run time, bans in the jail's iptables chain, unbans, stops", async () => {
    const auth = host.log("auth.log");
    const access = host.log("access.log");
    await host.start({ sshd: auth, wordpress: access });
    expect(host.client("status").stdout).toBe("Status\n|- Number of jail:\t2\n`- Jail list:\tsshd, wordpress\n");
    expect(host.client("set", "wordpress", "addignoreip", "198.51.100.200").stdout).toBe(
      "These IP addresses/networks are ignored:\n|- 127.0.0.1/8\n|- 123.45.67.89\n`- 198.51.100.200\n",
    );
    // the tutorial's own address is in ignoreip: never banned, even by hand
    const ignored = host.client("set", "sshd", "banip", "123.45.67.89");
    expect(ignored.stdout).toBe("0\n");
    expect(ignored.stderr).toContain("123.45.67.89 not banned: it is in the ignore list of sshd");

    host.sshFailures(auth, "203.0.113.0", 6);
    await host.waitBanned("sshd", "203.0.113.0");
    // lockout recovery: fail2ban's chain f2b-sshd is cj-sshd here
    const commands = host.dryRun("sshd").join("\n");
    expect(commands).toMatch(/iptables[^\n]* -N cj-sshd/);
    // the address reaches the shell as a variable, never as text in the command
    expect(commands).toMatch(/-I cj-sshd 1 -s "\$\{CJ_IP\}" -j REJECT[^\n]*CJ_IP="203\.0\.113\.0"/);
    expect(host.client("status", "sshd").stdout).toMatch(/`- Banned IP list:\t203\.0\.113\.0\n$/);
    expect(host.client("set", "sshd", "unbanip", "203.0.113.0").stdout).toBe("1\n");
    expect(host.dryRun("sshd").join("\n")).toMatch(/-D cj-sshd -s "\$\{CJ_IP\}" -j REJECT[^\n]*CJ_IP="203\.0\.113\.0"/);
    expect(host.client("stop").stdout).toBe("Shutdown successful\n");
  }, 60_000);
});

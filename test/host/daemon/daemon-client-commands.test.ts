// fail2ban-client's command set through the real socket: a `cloudjail server` process and `cloudjail client` runs,
// with fail2ban-client's output shapes and exit codes (0, or 255 on an error answer), and the notes on standard
// error that say why an address was not banned.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCloudjail, type ServerProcess, startServerProcess } from "../support/server-process.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-client-"));
const authLog = join(work, "auth.log");
const daemonLog = join(work, "cloudjail.log");
const socket = join(work, "run", "cloudjail.sock");
writeFileSync(authLog, "");
const configDir = makeConfigDir({
  "fail2ban.conf": `[Definition]
loglevel = INFO
logtarget = ${daemonLog}
socket = ${socket}
pidfile = ${join(work, "run", "cloudjail.pid")}
dbfile = ${join(work, "cloudjail.sqlite3")}
`,
  "jail.conf": `[DEFAULT]
bantime = 1h
findtime = 10m
maxretry = 3
ignoreip = 127.0.0.1/8 10.9.9.9
action = dry-run

[sshd]
enabled = true
logpath = ${authLog}

[spare]
enabled = false
filter = sshd
logpath = ${authLog}
`,
});

let server: ServerProcess;
beforeAll(async () => {
  server = await startServerProcess(["--config", configDir, "--dry-run"], socket, daemonLog);
}, 30_000);
afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill();
    await server.exited;
  }
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

/** A client command, and what fail2ban-client would print and return for it (stdout exact, or a pattern). */
type Step = readonly [words: string[], status: number, stdout: string | RegExp, stderr?: RegExp];

function check(steps: readonly Step[]): void {
  for (const [words, status, stdout, stderr] of steps) {
    const result = server.client(...words);
    const where = `cloudjail client ${words.join(" ")}\n${result.stdout}${result.stderr}`;
    expect(result.status, where).toBe(status);
    if (typeof stdout === "string") expect(result.stdout, where).toBe(stdout === "" ? "" : `${stdout}\n`);
    else expect(result.stdout, where).toMatch(stdout);
    if (stderr) expect(result.stderr, where).toMatch(stderr);
    else if (status === 0) expect(result.stderr, where).toBe("");
  }
}

describe("cloudjail client against a running server", () => {
  it("says which configuration tree the server reads", () => {
    expect(server.stderr()).toContain(`configuration: ${configDir} (--config)`);
  });

  it("answers the basic commands", () => {
    check([
      [["ping"], 0, "Server replied: pong"],
      [["version"], 0, "0.1.0"],
      [["echo", "a", "b"], 0, "a b"],
      [["start"], 255, "", /^ERROR {2}Server already running$/m],
      [["frobnicate"], 255, "", /Invalid command 'frobnicate'/],
      [["help"], 0, /set <JAIL> bantime <TIME>/],
      [["flushlogs"], 0, "logs: rolled over"],
    ]);
  });

  it("gets and sets the jail's numbers, in fail2ban's time syntax", () => {
    check([
      [["get", "sshd", "bantime"], 0, "3600"],
      [["get", "sshd", "findtime"], 0, "600"],
      [["get", "sshd", "maxretry"], 0, "3"],
      [["get", "sshd", "maxmatches"], 0, "3"],
      [["set", "sshd", "bantime", "600"], 0, "600"],
      [["get", "sshd", "bantime"], 0, "600"],
      [["set", "sshd", "bantime", "2h"], 0, "7200"],
      [["set", "sshd", "findtime", "1h30m"], 0, "5400"],
      [["set", "sshd", "maxretry", "7"], 0, "7"],
      [["get", "sshd", "maxretry"], 0, "7"],
      [["set", "sshd", "maxretry", "0"], 255, "", /at least 1/],
      [["set", "sshd", "findtime", "soon"], 255, "", /invalid time "soon"/],
      [["set", "sshd", "addfailregex", "x"], 255, "", /edit jail\.local .* reload sshd/],
      [["get", "nope", "bantime"], 255, "", /Sorry but the jail 'nope' does not exist/],
    ]);
  });

  it("gets what the jail reads and runs", () => {
    check([
      [["get", "sshd", "logpath"], 0, `Current monitored log file(s):\n\`- ${authLog}`],
      [["get", "sshd", "journalmatch"], 0, "No journal match filter set"],
      [["get", "sshd", "actions"], 0, "The jail sshd has the following actions:\ndry-run"],
      [["get", "sshd", "failregex"], 0, /^The following regular expression are defined:\n\|- \[0\]: /],
      [["get", "sshd", "ignoreself"], 0, "True"],
      [["get", "loglevel"], 0, "Current logging level is 'INFO'"],
      [["get", "dbfile"], 0, `Current database file is:\n\`- ${join(work, "cloudjail.sqlite3")}`],
      [["get", "logtarget"], 0, `Current logging target is:\n\`- ${daemonLog}`],
    ]);
  });

  it("changes the log level at run time", () => {
    check([
      [["set", "loglevel", "DEBUG"], 0, "Current logging level is 'DEBUG'"],
      [["get", "loglevel"], 0, "Current logging level is 'DEBUG'"],
      [["set", "loglevel", "LOUD"], 255, "", /unknown loglevel 'LOUD'/],
      [["set", "loglevel", "INFO"], 0, "Current logging level is 'INFO'"],
    ]);
  });

  it("edits the ignore list and never bans an ignored address, saying why", () => {
    check([
      [["set", "sshd", "addignoreip", "192.0.2.1"], 0, /^These IP addresses\/networks are ignored:\n/],
      [
        ["get", "sshd", "ignoreip"],
        0,
        "These IP addresses/networks are ignored:\n|- 127.0.0.1/8\n|- 10.9.9.9\n`- 192.0.2.1",
      ],
      [
        ["set", "sshd", "banip", "127.0.0.1"],
        0,
        "0",
        /^NOTE {3}127\.0\.0\.1 not banned: it is in the ignore list of sshd/m,
      ],
      [["set", "sshd", "banip", "192.0.2.1"], 0, "0", /192\.0\.2\.1 not banned: it is in the ignore list/],
      [
        ["set", "sshd", "delignoreip", "192.0.2.1"],
        0,
        "These IP addresses/networks are ignored:\n|- 127.0.0.1/8\n`- 10.9.9.9",
      ],
      [["set", "sshd", "delignoreip", "192.0.2.1"], 255, "", /192\.0\.2\.1 is not in the ignore list of sshd/],
      [["set", "sshd", "banip", "192.0.2.1"], 0, "1"],
      [["set", "sshd", "unbanip", "192.0.2.1"], 0, "1"],
    ]);
  });

  it("bans and unbans by hand, lists bans with the time left, unbans twice quietly", () => {
    check([
      [["set", "sshd", "bantime", "1h"], 0, "3600"],
      [["set", "sshd", "banip", "203.0.113.9", "198.51.100.4"], 0, "2"],
      [["set", "sshd", "banip", "203.0.113.9"], 0, "0", /203\.0\.113\.9 not banned again: already banned in sshd/],
      [
        ["banned"],
        0,
        /^\[\{'sshd': \[('203\.0\.113\.9', '198\.51\.100\.4'|'198\.51\.100\.4', '203\.0\.113\.9')\]\}\]\n$/,
      ],
      [["banned", "203.0.113.9", "192.0.2.200"], 0, "[['sshd'], []]"],
      [["get", "sshd", "banned", "203.0.113.9"], 0, "1"],
      [["get", "sshd", "banned", "192.0.2.200"], 0, "0"],
      [["get", "sshd", "banip", ","], 0, /^(203\.0\.113\.9,198\.51\.100\.4|198\.51\.100\.4,203\.0\.113\.9)$/m],
      [
        ["get", "sshd", "banip", "--with-time"],
        0,
        /^203\.0\.113\.9 \t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+ 3600 = \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \((59m [0-5]?\d|1h 0m 0)s left\)$/m,
      ],
      [["banned", "--with-time"], 0, /^sshd:\n {2}\S+ \t.* \+ 3600 = .* left\)\n {2}\S+ \t/],
      [["set", "sshd", "unbanip", "203.0.113.9"], 0, "1"],
      [["set", "sshd", "unbanip", "203.0.113.9"], 0, "0", /203\.0\.113\.9 was not banned in sshd/],
      [["set", "sshd", "unbanip", "--report-absent", "203.0.113.9"], 255, "", /not banned: \['203\.0\.113\.9'\]/],
      [["unban", "203.0.113.9"], 0, "0"],
      [["set", "sshd", "banip", "not-an-ip;reboot"], 255, "", /is not a valid IP address/],
      [["unban", "--all"], 0, "1"],
      [["banned"], 0, "[{'sshd': []}]"],
    ]);
    expect(readFileSync(daemonLog, "utf8")).toMatch(
      /cloudjail\.actions +\[\d+\]: NOTICE {2}\[sshd\] Ban 203\.0\.113\.9\n/,
    );
  });

  it("shows status flavors and refuses one it does not know", () => {
    check([
      [
        ["status", "sshd", "short"],
        0,
        "Status for the jail: sshd\n|- Filter\n|  |- Currently failed:\t0\n|  `- Total failed:\t0\n`- Actions\n   |- Currently banned:\t0\n   `- Total banned:\t3",
      ],
      [["status", "sshd", "--all"], 255, "", /run 'status --all'/],
      [["status", "sshd", "cymru"], 255, "", /unsupported status flavor 'cymru' \(supported: basic, short\)/],
      [["status", "--all"], 0, /^Status\n\|- Number of jail:\t1\n`- Jail list:\tsshd\nStatus for the jail: sshd\n/],
    ]);
  });

  it("stops, starts and restarts jails", () => {
    check([
      [["stop", "sshd"], 0, "Jail stopped"],
      [["status"], 0, "Status\n|- Number of jail:\t0\n`- Jail list:\t"],
      [["start", "sshd"], 0, "Jail started"],
      [["start", "sshd"], 255, "", /The jail 'sshd' already exists/],
      [["start", "spare"], 0, "Jail started"],
      [["status"], 0, "Status\n|- Number of jail:\t2\n`- Jail list:\tsshd, spare"],
      [["restart", "spare"], 0, "OK"],
      [["restart", "--if-exists", "nope"], 0, "OK"],
      [["restart", "nope"], 255, "", /nope/],
      [["reload", "--unban", "--all"], 0, "OK"],
      [["restart"], 0, "OK"],
      [["reload", "--force"], 255, "", /usage: reload/],
      [["stop", "--all"], 0, "Jail stopped"],
      [["status"], 0, "Status\n|- Number of jail:\t0\n`- Jail list:\t"],
    ]);
  });

  it("stops the server", async () => {
    check([[["stop"], 0, "Shutdown successful"]]);
    expect(await server.exited).toBe(0);
    const after = server.client("ping");
    expect(after.status).toBe(255);
    expect(after.stderr).toMatch(/Failed to access socket path: .*Is the server running\?/);
    // without --socket, the client says which tree named the socket
    const viaTree = runCloudjail(["client", "--config", configDir, "status"]);
    expect(viaTree.status).toBe(255);
    expect(viaTree.stderr).toContain(`Failed to access socket path: ${socket}.`);
    expect(viaTree.stderr).toContain(`configuration: ${configDir} (--config)`);
    const start = runCloudjail(["client", "--config", configDir, "start"]);
    expect(start.status).toBe(255);
    expect(start.stderr).toMatch(/Start it with 'systemctl start cloudjail'/);
  });
});

// The pure parts of the client commands, as tables: the command line of `cloudjail client`, reload/restart
// options, setters' values, and fail2ban-client's output shapes for bans.
import { describe, expect, it } from "vitest";
import { clientUsage, parseClientArgs } from "../../../cli/commands/client.js";
import { banLineWithTime, durationText, pythonList } from "../../../host/control/ban-list-format.js";
import { CLIENT_COMMAND_TABLE, clientCommandWords } from "../../../host/control/client-command-table.js";
import { parseReload } from "../../../host/control/control-commands.js";
import { policyChange } from "../../../host/control/jail-set-commands.js";

describe("parseClientArgs", () => {
  it.each([
    [["status"], { words: ["status"] }],
    [["-s", "/tmp/s", "status", "sshd"], { socket: "/tmp/s", words: ["status", "sshd"] }],
    [
      ["--config", "/etc/fail2ban", "get", "sshd", "bantime"],
      { configDir: "/etc/fail2ban", words: ["get", "sshd", "bantime"] },
    ],
    [["-c", "/x", "set", "sshd", "banip", "-s"], { configDir: "/x", words: ["set", "sshd", "banip", "-s"] }],
    [["reload", "--restart", "sshd"], { words: ["reload", "--restart", "sshd"] }],
    [["--help"], "help"],
  ] as const)("%j", (argv, plan) => {
    expect(parseClientArgs(argv)).toEqual(plan);
  });

  it.each([
    [[], /no command given/],
    [["--socket"], /--socket needs a value/],
    [["-q", "status"], /unknown option '-q'/],
  ] as const)("%j is refused", (argv, message) => {
    expect(() => parseClientArgs(argv)).toThrow(message);
  });

  it("lists every command of the table in --help", () => {
    const help = clientUsage();
    for (const command of CLIENT_COMMAND_TABLE) expect(help).toContain(command.usage);
    expect(help).toContain("/run/cloudjail/cloudjail.sock");
    expect(clientCommandWords()).toEqual(
      expect.arrayContaining(["start", "restart", "reload", "stop", "unban", "banned", "status", "set", "get"]),
    );
  });
});

describe("parseReload", () => {
  it.each([
    ["reload", [], { restart: false, unban: false, ifExists: false }],
    ["reload", ["--all"], { restart: false, unban: false, ifExists: false }],
    ["reload", ["--restart", "--unban", "sshd"], { restart: true, unban: true, ifExists: false, jail: "sshd" }],
    ["reload", ["--if-exists", "sshd"], { restart: false, unban: false, ifExists: true, jail: "sshd" }],
    ["restart", [], { restart: true, unban: false, ifExists: false }],
    ["restart", ["--unban", "--if-exists", "sshd"], { restart: true, unban: true, ifExists: true, jail: "sshd" }],
  ] as const)("%s %j", (command, args, plan) => {
    expect(parseReload(command, args)).toEqual(plan);
  });

  it.each([
    ["reload", ["--force"]],
    ["reload", ["sshd", "apache"]],
    ["restart", ["--restart", "sshd"]],
    ["restart", ["--all"]],
  ] as const)("%s %j is refused", (command, args) => {
    expect(() => parseReload(command, args)).toThrow(/usage: /);
  });
});

describe("policyChange", () => {
  it.each([
    ["bantime", "600", { banTime: 600 }],
    ["bantime", "1h", { banTime: 3600 }],
    ["bantime", "-1", { banTime: -1 }],
    ["findtime", "1d", { findTime: 86400 }],
    ["maxretry", "3", { maxRetry: 3 }],
    ["maxmatches", "0", { maxMatches: 0 }],
    ["addignoreip", "1.2.3.4", undefined],
  ] as const)("set JAIL %s %s", (option, value, change) => {
    expect(policyChange(option, value)).toEqual(change);
  });

  it.each([
    ["bantime", "0", /0 would ban for no time/],
    ["bantime", "later", /invalid time "later"/],
    ["findtime", "-5", /must be positive/],
    ["maxretry", "0", /at least 1/],
    ["maxretry", "2.5", /whole number/],
    ["maxmatches", undefined, /whole number/],
  ] as const)("set JAIL %s %s is refused", (option, value, message) => {
    expect(() => policyChange(option, value)).toThrow(message);
  });
});

describe("ban output", () => {
  it.each([
    [[], "[]"],
    [["1.2.3.4"], "['1.2.3.4']"],
    [["a'b", "2001:db8::1"], `["a'b", '2001:db8::1']`],
  ] as const)("pythonList(%j)", (items, text) => {
    expect(pythonList(items)).toBe(text);
  });

  it.each([
    [0, "0s"],
    [59.4, "59s"],
    [60, "1m 0s"],
    [3599, "59m 59s"],
    [90061, "1d 1h 1m 1s"],
    [-5, "0s"],
  ] as const)("durationText(%d)", (seconds, text) => {
    expect(durationText(seconds)).toBe(text);
  });

  it("prints fail2ban's --with-time line with the time left, and permanent bans", () => {
    process.env.TZ = "UTC";
    const base = { jail: "sshd", fid: "x", banCount: 1 };
    const time = Date.UTC(2026, 0, 2, 3, 4, 5) / 1000;
    expect(banLineWithTime({ ...base, ip: "192.0.2.1", time, banUntil: time + 600 }, time + 30)).toMatch(
      /^192\.0\.2\.1 \t\d{4}-01-02 \d\d:04:05 \+ 600 = \d{4}-01-02 \d\d:14:05 \(9m 30s left\)$/,
    );
    expect(banLineWithTime({ ...base, ip: "192.0.2.2", time, banUntil: null }, time)).toMatch(
      /^192\.0\.2\.2 \t.* \+ -1 = never \(permanent\)$/,
    );
  });
});

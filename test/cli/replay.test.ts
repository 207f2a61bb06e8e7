// `cloudjail replay` end to end on crafted logs, against decisions computed by hand from fail2ban's rules:
// a ban when the attempts in the window reach maxretry (fail2ban rescales the count when the window slides),
// bantime from the ban, increments per ban count with accelerated counting of known offenders, ignoreip never counted, permanent bans never lifted, IPv6
// spellings counted as one address.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const T = Date.UTC(2024, 5, 1, 10, 0, 0) / 1000;
let dir: string;

function stamp(offset: number): string {
  return new Date((T + offset) * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "");
}

function line(offset: number, ip: string, user = "admin"): string {
  return `${stamp(offset)} portal: login failed for ${user} from ${ip}`;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cloudjail-replay-"));
  mkdirSync(join(dir, "filter.d"));
  writeFileSync(
    join(dir, "filter.d", "portal.conf"),
    "[Definition]\nfailregex = ^ portal: login failed for \\S+ from <HOST>$\ndatepattern = {^LN-BEG}%%Y-%%m-%%d %%H:%%M:%%S\n",
  );
  writeFileSync(
    join(dir, "jail.local"),
    [
      "[DEFAULT]",
      "ignoreip = 127.0.0.1/8 ::1",
      "",
      "[edge]",
      "enabled = true",
      "filter = portal",
      "logpath = /var/log/portal.log",
      "maxretry = 3",
      "findtime = 60",
      "bantime = 100",
      "bantime.increment = true",
      "",
      "[forever]",
      "enabled = true",
      "filter = portal",
      "logpath = /var/log/vault.log",
      "maxretry = 2",
      "findtime = 1h",
      "bantime = -1",
      "",
    ].join("\n"),
  );
  const portal = [
    // exactly maxretry failures, the last one on the window boundary (60 s after the first)
    line(0, "192.0.2.1"),
    line(30, "192.0.2.1"),
    line(60, "192.0.2.1"),
    // failures spread beyond findtime: never 3 in a window
    line(5, "192.0.2.2"),
    line(105, "192.0.2.2"),
    line(205, "192.0.2.2"),
    line(305, "192.0.2.2"),
    // an ignored address, however often
    ...[10, 11, 12, 13, 14, 15].map((t) => line(t, "127.0.0.1")),
    // a user name carrying an address is not the client
    line(20, "192.0.2.50", "from-203.0.113.99"),
    // repeated offender: bans of 100 s, then 200 s, then 400 s (ban count 1, 2, 3); a known offender's failures
    // count more (fail2ban: 1 << banCount / 2 + 1, at most maxretry): 2 each after one ban, 3 after two
    line(1000, "198.51.100.7"),
    line(1001, "198.51.100.7"),
    line(1002, "198.51.100.7"),
    line(1200, "198.51.100.7"),
    line(1201, "198.51.100.7"),
    line(1202, "198.51.100.7"),
    line(1500, "198.51.100.7"),
    line(1501, "198.51.100.7"),
    line(1502, "198.51.100.7"),
    // IPv6, in three spellings of one address
    line(2000, "2001:db8::beef"),
    line(2010, "2001:DB8:0:0:0:0:0:BEEF"),
    line(2020, "2001:db8:0::beef"),
  ];
  portal.sort();
  writeFileSync(join(dir, "portal.log"), `${portal.join("\n")}\n`);
  writeFileSync(join(dir, "vault.log"), `${[line(50, "203.0.113.9"), line(3000, "203.0.113.9")].join("\n")}\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Decision = Record<string, unknown>;

function replay(...args: string[]): Decision[] {
  const result = runCli(["replay", "--config", dir, "--out", "json", ...args]);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return result.stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((row) => JSON.parse(row) as Decision);
}

describe("cloudjail replay", () => {
  it("makes exactly the hand-computed decisions", () => {
    const decisions = replay(join(dir, "portal.log"), join(dir, "vault.log"));
    const summary = decisions.map((d) =>
      d.action === "ban"
        ? `${Number(d.time) - T} ban ${d.jail} ${d.ip} failures=${d.failures} until=${d.permanent ? "never" : Number(d.banUntil) - T} #${d.banCount}`
        : `${Number(d.time) - T} unban ${d.jail} ${d.ip}`,
    );
    expect(summary).toEqual([
      "60 ban edge 192.0.2.1 failures=3 until=160 #1",
      "160 unban edge 192.0.2.1",
      "1002 ban edge 198.51.100.7 failures=3 until=1102 #1",
      "1102 unban edge 198.51.100.7",
      "1201 ban edge 198.51.100.7 failures=2 until=1401 #2",
      "1401 unban edge 198.51.100.7",
      "1500 ban edge 198.51.100.7 failures=1 until=1900 #3",
      "1900 unban edge 198.51.100.7",
      "2020 ban edge 2001:db8::beef failures=3 until=2120 #1",
      "2120 unban edge 2001:db8::beef",
      "3000 ban forever 203.0.113.9 failures=2 until=never #1",
    ]);
  });

  it("runs a named jail over any log, and keeps state in a SQLite store across runs", () => {
    const store = `sqlite:${join(dir, "state.db")}`;
    const first = replay("--jail", "forever", "--store", store, join(dir, "vault.log"));
    expect(first.map((d) => `${d.action} ${d.ip}`)).toEqual(["ban 203.0.113.9"]);
    // the same events again: already counted (same event ids), already banned
    const second = replay("--jail", "forever", "--store", store, join(dir, "vault.log"));
    expect(second).toEqual([]);
  });

  it("takes a log of 200,000 failures", () => {
    // a thousand addresses that never fail 3 times within a minute, then one that does
    const lines = Array.from({ length: 200_000 }, (_, i) => line(i, `10.0.${(i % 1000) >> 8}.${i % 256}`));
    lines.push(line(200_000, "192.0.2.77"), line(200_001, "192.0.2.77"), line(200_002, "192.0.2.77"));
    const big = join(dir, "big.log");
    writeFileSync(big, `${lines.join("\n")}\n`);
    const decisions = replay("--jail", "edge", big);
    // the ban outlasts the log: no unban
    expect(decisions.map((d) => `${Number(d.time) - T} ${d.action} ${d.ip}`)).toEqual(["200002 ban 192.0.2.77"]);
  });

  it("rejects bad arguments and unknown jails with a clear message", () => {
    expect(runCli(["replay", "--config", dir]).stderr).toMatch(/expected at least one LOG/);
    expect(runCli(["replay", "--config", dir, "--store", "mysql:x", join(dir, "vault.log")]).stderr).toMatch(
      /--store must be sqlite:PATH/,
    );
    const unknown = runCli(["replay", "--config", dir, "--jail", "nope", join(dir, "vault.log")]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no jail \[nope\]/);
    const unmatched = runCli(["replay", "--config", dir, join(dir, "filter.d", "portal.conf")]);
    expect(unmatched.stderr).toMatch(/no enabled jail has a logpath matching/);
  });
});

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { journalEntryToLine, journalMatchArgs } from "../../../host/sources/journal-entry.js";
import { JournalSource, journalctlArgs } from "../../../host/sources/journal-source.js";
import type { LogLine } from "../../../host/sources/log-source.js";

describe("journal records", () => {
  it("formats a record as fail2ban's systemd backend does, with the journal's time", () => {
    const line = journalEntryToLine({
      __REALTIME_TIMESTAMP: "1700000000123456",
      _HOSTNAME: "web1",
      SYSLOG_IDENTIFIER: "sshd",
      _PID: "812",
      MESSAGE: "Failed password for root from 192.0.2.7 port 4242 ssh2",
    });
    expect(line).toEqual({
      text: "web1 sshd[812]: Failed password for root from 192.0.2.7 port 4242 ssh2",
      source: "journal",
      time: 1700000000.123456,
    });
  });

  it("decodes a message journalctl printed as bytes and skips records without a message", () => {
    const bytes = [...Buffer.from("invalid user \u00e9 from 192.0.2.8")];
    expect(journalEntryToLine({ _COMM: "sshd", MESSAGE: bytes })?.text).toBe(
      "sshd: invalid user \u00e9 from 192.0.2.8",
    );
    expect(journalEntryToLine({ _COMM: "sshd" })).toBeUndefined();
  });

  it("keeps an entry one line, joins a repeated message and dates kernel entries, as fail2ban 1.0.2 does", () => {
    // a newline inside a message would let a multi-line filter (maxlines > 1) see a line the attacker wrote
    expect(
      journalEntryToLine({ _HOSTNAME: "web1", _COMM: "sshd", MESSAGE: "Accepted for x\nFailed password for root" })
        ?.text,
    ).toBe("web1 sshd: Accepted for x\\nFailed password for root");
    expect(journalEntryToLine({ _COMM: "app", MESSAGE: ["part one", [...Buffer.from("part two")]] })?.text).toBe(
      "app: part one part two",
    );
    expect(
      journalEntryToLine({
        SYSLOG_IDENTIFIER: "kernel",
        __MONOTONIC_TIMESTAMP: "12345678",
        MESSAGE: "IN=eth0 SRC=192.0.2.9",
      })?.text,
    ).toBe("kernel: [   12.345678] IN=eth0 SRC=192.0.2.9");
  });

  it("splits journalmatch into separate arguments, keeping + and quoted matches whole", () => {
    expect(journalMatchArgs("_SYSTEMD_UNIT=sshd.service + _COMM=sshd")).toEqual([
      "_SYSTEMD_UNIT=sshd.service",
      "+",
      "_COMM=sshd",
    ]);
    expect(journalMatchArgs(`MESSAGE="a b; rm -rf /"`)).toEqual(["MESSAGE=a b; rm -rf /"]);
    expect(journalctlArgs({ journalmatch: "_COMM=sshd" })).toEqual([
      "--follow",
      "--output=json",
      // only the fields a line is made of: journald stores 25 or more per entry
      "--output-fields=MESSAGE,_HOSTNAME,SYSLOG_IDENTIFIER,_COMM,SYSLOG_PID,_PID,_SOURCE_REALTIME_TIMESTAMP,_SOURCE_MONOTONIC_TIMESTAMP",
      "--no-pager",
      "--quiet",
      "--lines=0",
      "_COMM=sshd",
    ]);
    expect(journalctlArgs({ journalmatch: "_COMM=sshd", since: 1700000000.5 })).toContain("--since=@1700000000");
  });
});

describe("JournalSource process handling", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs the command with an argument vector, parses its records and restarts it after an exit", async () => {
    dir = mkdtempSync(join(tmpdir(), "cloudjail-journal-"));
    const argvLog = join(dir, "argv.jsonl");
    // Stands in for journalctl's process behaviour only: prints two records, records its argv, then exits.
    const script = join(dir, "journalctl");
    writeFileSync(
      script,
      `#!${process.execPath}
const fs = require("node:fs");
fs.appendFileSync(${JSON.stringify(argvLog)}, JSON.stringify(process.argv.slice(2)) + "\\n");
const n = fs.readFileSync(${JSON.stringify(argvLog)}, "utf8").trim().split("\\n").length;
console.log(JSON.stringify({ __REALTIME_TIMESTAMP: String(n * 1000000), _COMM: "sshd", MESSAGE: "run " + n }));
console.log("garbage");
`,
    );
    chmodSync(script, 0o755);
    const lines: LogLine[] = [];
    const errors: Error[] = [];
    const source = new JournalSource(
      { journalmatch: "_COMM=sshd + MESSAGE=$(touch pwned)", command: script, onError: (error) => errors.push(error) },
      (line) => lines.push(line),
    );
    await source.start();
    const deadline = Date.now() + 5000;
    while (lines.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await source.stop();
    expect(lines.slice(0, 2).map((line) => line.text)).toEqual(["sshd: run 1", "sshd: run 2"]);
    const runs = readFileSync(argvLog, "utf8")
      .trim()
      .split("\n")
      .map((raw) => JSON.parse(raw) as string[]);
    expect(runs[0]).toEqual([
      "--follow",
      "--output=json",
      // only the fields a line is made of: journald stores 25 or more per entry
      "--output-fields=MESSAGE,_HOSTNAME,SYSLOG_IDENTIFIER,_COMM,SYSLOG_PID,_PID,_SOURCE_REALTIME_TIMESTAMP,_SOURCE_MONOTONIC_TIMESTAMP",
      "--no-pager",
      "--quiet",
      "--lines=0",
      "_COMM=sshd",
      "+",
      "MESSAGE=$(touch",
      "pwned)",
    ]);
    // The restart resumes after the last record seen.
    expect(runs[1]).toContain("--since=@1");
    expect(errors.some((error) => /not JSON/.test(error.message))).toBe(true);
    expect(errors.some((error) => /journalctl exited/.test(error.message))).toBe(true);
  });

  it("leaves a backlog in journalctl's pipe while the handler is busy (whenReady)", async () => {
    dir = mkdtempSync(join(tmpdir(), "cloudjail-journal-"));
    // Stands in for journalctl with a backlog: 20,000 records at once, then it stays (as --follow does).
    const script = join(dir, "journalctl");
    writeFileSync(
      script,
      `#!${process.execPath}
let out = "";
for (let i = 1; i <= 20000; i++) out += JSON.stringify({ __REALTIME_TIMESTAMP: String(i * 1000000), _COMM: "sshd", MESSAGE: "entry " + i }) + "\\n";
process.stdout.write(out);
setInterval(() => {}, 1000);
`,
    );
    chmodSync(script, 0o755);
    let delivered = 0;
    let release: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      release = resolve;
    });
    const source = new JournalSource({ journalmatch: "_COMM=sshd", command: script, whenReady: () => ready }, () => {
      delivered++;
    });
    expect(source.secondsBehind(Date.now() / 1000)).toBe(0);
    const before = Date.now() / 1000;
    await source.start();
    const after = Date.now() / 1000;
    try {
      const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
      while (delivered === 0) await settle();
      await settle();
      // one batch (4,096) and what readline had already split of the chunk it was reading
      expect(delivered).toBeGreaterThanOrEqual(4096);
      expect(delivered).toBeLessThan(8000);
      // the output waits: how far behind is told in seconds, from the start for entries older than it (these are
      // from 1970: a findtime-back backlog at start is not falling behind until the start itself is far away)
      const later = after + 120;
      expect(source.secondsBehind(later)).toBeGreaterThanOrEqual(later - after);
      expect(source.secondsBehind(later)).toBeLessThanOrEqual(later - before);
      release();
      const deadline = Date.now() + 5000;
      while (delivered < 20_000 && Date.now() < deadline) await settle();
      expect(delivered).toBe(20_000);
      // nothing waits any more
      expect(source.secondsBehind(Date.now() / 1000 + 120)).toBe(0);
    } finally {
      await source.stop();
    }
  });
});

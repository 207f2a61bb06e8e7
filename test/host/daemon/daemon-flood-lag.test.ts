// A jail that reads lines faster than it handles them drops nothing: the lines wait their turn, the jail says at
// WARNING that it is falling behind (and in `status`), handles every line in order, then says it caught up.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Daemon } from "../../../host/daemon/daemon.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { LAG_WARNING_LINES } from "../../../host/daemon/jail-pipeline.js";
import { memoryLog } from "../support/memory-log.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-flood-lag-"));
const log = join(work, "auth.log");
const configDir = makeConfigDir({
  "jail.conf": `[sshd]
enabled = true
filter = sshd
logpath = ${log}
maxretry = 3
findtime = 10m
bantime = 1h
action = dry-run
ignoreself = false
`,
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

describe("a jail behind its logs", () => {
  it.each([
    [LAG_WARNING_LINES / 2, false],
    [LAG_WARNING_LINES * 2.5, true],
  ])("with %i lines read at once: warned %s, nothing dropped, caught up", async (count, warned) => {
    const addresses = count / 5;
    const stamp = new Date().toISOString();
    const lines = Array.from({ length: count }, (_, n) => {
      const ip = `10.2.${(n % addresses) >> 8}.${(n % addresses) & 255}`;
      return `${stamp} bastion sshd[${1000 + n}]: Failed password for root from ${ip} port ${n % 60000} ssh2`;
    });
    writeFileSync(log, "");
    const output = memoryLog();
    // what `status sshd` shows at the moment the jail says it is behind
    let problemsWhenWarned: string[] | undefined;
    const daemon: Daemon = new Daemon({
      settings: readDaemonSettings(configDir, { dbfile: ":memory:" }),
      log: {
        ...output,
        log(level, logger, message) {
          output.log(level, logger, message);
          if (/falling behind/.test(message)) problemsWhenWarned = daemon.jailProblems("sshd");
        },
      },
      logpaths: { sshd: [log] },
      dryRun: true,
      printDryRun: () => {},
    });
    await daemon.start();
    let behind: number;
    let totalFailed: number;
    let problems: string[];
    try {
      // the running daemon finds them appended at once, as a flood does
      appendFileSync(log, `${lines.join("\n")}\n`);
      const pipeline = daemon.pipeline("sshd");
      for (let i = 0; i < 600 && pipeline.stats.totalFailed < count; i++) {
        await daemon.idle();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      behind = pipeline.linesBehind();
      totalFailed = pipeline.stats.totalFailed;
      problems = daemon.jailProblems("sshd");
    } finally {
      await daemon.stop();
    }
    const at = (pattern: RegExp) => output.lines.findIndex((line) => pattern.test(line));
    const warnings = output.lines.filter((line) => / WARNING .*falling behind/.test(line));
    expect(output.lines.filter((line) => / ERROR /.test(line))).toEqual([]);
    expect(warnings).toHaveLength(warned ? 1 : 0);
    expect(behind).toBe(0);
    expect(problems).toEqual([]);
    expect(totalFailed).toBe(count);
    const bans = output.lines.filter((line) => / Ban /.test(line));
    expect(bans).toHaveLength(addresses);
    if (warned) {
      // (the pass reading them may not have reached the end of the file yet: that part is told in bytes)
      expect(problemsWhenWarned).toHaveLength(1);
      expect(problemsWhenWarned![0]).toMatch(
        new RegExp(
          `^${LAG_WARNING_LINES} log lines read and not handled yet(, \\d+ bytes .* not read yet of .*)? \\(falling behind\\)$`,
        ),
      );
      // warned before the bans it delays, told of catching up after the last of them
      const lastBan = output.lines.lastIndexOf(bans.at(-1)!);
      expect(at(/falling behind/)).toBeLessThan(at(/ Ban /));
      expect(at(/caught up with its logs/)).toBeGreaterThan(lastBan);
    } else {
      expect(at(/caught up with its logs/)).toBe(-1);
    }
  });
});

describe("a jail behind a backlog still in its file", () => {
  it("counts the file's unread bytes in the lag: WARNING and status while the lines it has read are few", async () => {
    // read 64 KiB a pass (about 700 lines): the jail never holds 10,000 lines, the file holds 30,000 unread
    const count = 30_000;
    const stamp = new Date().toISOString();
    const lines = Array.from({ length: count }, (_, n) => {
      const ip = `10.3.${(n % 6000) >> 8}.${(n % 6000) & 255}`;
      return `${stamp} bastion sshd[${1000 + n}]: Failed password for root from ${ip} port ${n % 60000} ssh2`;
    });
    writeFileSync(log, "");
    const output = memoryLog();
    let problemsWhenWarned: string[] | undefined;
    const daemon: Daemon = new Daemon({
      settings: readDaemonSettings(configDir, { dbfile: ":memory:" }),
      log: {
        ...output,
        log(level, logger, message) {
          output.log(level, logger, message);
          if (/falling behind/.test(message)) problemsWhenWarned = daemon.jailProblems("sshd");
        },
      },
      logpaths: { sshd: [log] },
      dryRun: true,
      printDryRun: () => {},
      readPassBytes: 64 * 1024,
    });
    await daemon.start();
    let totalFailed: number;
    let problems: string[];
    try {
      appendFileSync(log, `${lines.join("\n")}\n`);
      const pipeline = daemon.pipeline("sshd");
      for (let i = 0; i < 600 && pipeline.stats.totalFailed < count; i++) {
        await daemon.idle();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      totalFailed = pipeline.stats.totalFailed;
      problems = daemon.jailProblems("sshd");
    } finally {
      await daemon.stop();
    }
    expect(totalFailed).toBe(count);
    const warnings = output.lines.filter((line) => / WARNING .*falling behind/.test(line));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(
        `\\[sshd\\] \\d+ log lines waiting to be handled and \\d+ bytes \\(about \\d+ lines\\) not read yet of ${log}: the jail is falling behind its logs$`,
      ),
    );
    expect(problemsWhenWarned).toHaveLength(1);
    const figures =
      /^(\d+) log lines read and not handled yet, (\d+) bytes \(about (\d+) lines\) not read yet of (.*) \(falling behind\)$/.exec(
        problemsWhenWarned![0]!,
      );
    expect(figures, problemsWhenWarned![0]).not.toBeNull();
    const [, waiting, bytes, about, path] = figures!.map((value, index) => (index === 4 ? value : Number(value))) as [
      unknown,
      number,
      number,
      number,
      string,
    ];
    expect(path).toBe(log);
    // the lines read were far from the threshold: the file's backlog made the report
    expect(waiting).toBeLessThan(LAG_WARNING_LINES);
    expect(waiting + about).toBeGreaterThanOrEqual(LAG_WARNING_LINES);
    // the estimate in lines follows the bytes by the length of the lines read (these grow a little along the file)
    const lineBytes = Buffer.byteLength(`${lines.join("\n")}\n`) / count;
    expect(Math.abs(about - bytes / lineBytes)).toBeLessThan(0.1 * about);
    expect(output.lines.some((line) => /caught up with its logs/.test(line))).toBe(true);
    expect(problems).toEqual([]);
  });
});

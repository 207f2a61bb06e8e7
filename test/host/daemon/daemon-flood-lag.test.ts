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
      expect(problemsWhenWarned).toEqual([`${LAG_WARNING_LINES} log lines read and not handled yet (falling behind)`]);
      // warned before the bans it delays, told of catching up after the last of them
      const lastBan = output.lines.lastIndexOf(bans.at(-1)!);
      expect(at(/falling behind/)).toBeLessThan(at(/ Ban /));
      expect(at(/caught up with its logs/)).toBeGreaterThan(lastBan);
    } else {
      expect(at(/caught up with its logs/)).toBe(-1);
    }
  });
});

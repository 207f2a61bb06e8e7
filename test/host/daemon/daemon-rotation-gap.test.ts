// The daemon and a log rotated twice between two looks by the real logrotate: the generation in between is read when
// it is plain (delaycompress), and when it was compressed before it could be opened the daemon says so at ERROR with
// the file and the bytes not read, instead of missing its lines without a word.
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Daemon } from "../../../host/daemon/daemon.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { memoryLog } from "../support/memory-log.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-rotation-gap-"));
const configDir = makeConfigDir({
  "jail.conf":
    "[sshd]\nenabled = true\nfilter = sshd\nlogpath = /nonexistent\nmaxretry = 3\nfindtime = 1d\nbantime = 1h\naction = dry-run\nignoreself = false\n",
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

const pause = () => new Promise((resolve) => setTimeout(resolve, 30));

function failures(ip: string, count: number): string {
  const stamp = new Date().toISOString();
  return Array.from(
    { length: count },
    (_, i) => `${stamp} web1 sshd[${4000 + i}]: Failed password for root from ${ip} port ${50000 + i} ssh2\n`,
  ).join("");
}

describe("the daemon and a log rotated twice before it looked again", () => {
  it.each([
    ["compress, delaycompress", ["compress", "delaycompress"], true],
    ["compress", ["compress"], false],
  ])("%s", async (name, options, readable) => {
    const log = join(work, `auth-${name.replace(/\W/g, "")}.log`);
    const rules = join(work, `${name.replace(/\W/g, "")}.conf`);
    writeFileSync(rules, `${log} {\n  rotate 5\n  create\n${options.map((o) => `  ${o}\n`).join("")}}\n`);
    const rotate = () => {
      const run = spawnSync("logrotate", ["-f", "-s", `${rules}.state`, rules], { encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
    };
    writeFileSync(log, failures("192.0.2.10", 3));
    const output = memoryLog();
    // a replay daemon looks at its logs only when asked (runOnce): the two rotations happen between two looks
    const daemon = new Daemon({
      settings: readDaemonSettings(configDir, { dbfile: ":memory:" }),
      log: output,
      once: true,
      dryRun: true,
      printDryRun: () => {},
      logpaths: { sshd: [log] },
    });
    await daemon.start();
    try {
      await daemon.runOnce();
      await pause();
      rotate();
      const between = failures("192.0.2.20", 3);
      appendFileSync(log, between);
      await pause();
      rotate();
      appendFileSync(log, failures("192.0.2.30", 3));
      await daemon.runOnce();
      const bans = output.lines.filter((line) => / Ban /.test(line)).map((line) => line.split("] Ban ")[1]);
      const errors = output.lines.filter((line) => / ERROR /.test(line));
      if (readable) {
        expect(bans).toEqual(["192.0.2.10", "192.0.2.20", "192.0.2.30"]);
        expect(errors).toEqual([]);
      } else {
        // before: the same bans, and not a word about the three failures of 192.0.2.20 never read
        expect(bans).toEqual(["192.0.2.10", "192.0.2.30"]);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(
          new RegExp(
            `ERROR {3}${log}: rotated again before it was read: ${log}\\.1\\.gz \\(\\d+ bytes compressed, ` +
              `${Buffer.byteLength(between)} bytes of log\\) was written after the file being read and compressed ` +
              "before it could be opened: its lines were not read$",
          ),
        );
      }
    } finally {
      await daemon.stop();
    }
  });
});

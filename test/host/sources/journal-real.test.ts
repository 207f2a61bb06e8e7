// The journald source against a real systemd-journald (in a private mount namespace) through the real journalctl,
// alone and as a daemon jail with `backend = systemd`.
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Daemon } from "../../../host/daemon/daemon.js";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { JournalSource } from "../../../host/sources/journal-source.js";
import type { LogLine } from "../../../host/sources/log-source.js";
import { canRunJournald, startJournald, type TestJournald } from "../support/journald.js";
import { makeConfigDir } from "../support/test-config.js";

const dir = mkdtempSync(join(tmpdir(), "cloudjail-journald-"));
let journald: TestJournald;

beforeAll(async () => {
  if (!canRunJournald()) throw new Error("this test needs root and systemd-journald (Debian package systemd)");
  journald = await startJournald(dir);
});
afterAll(() => {
  journald?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("journald through journalctl", () => {
  it("delivers the new entries of the matched unit, with the journal's time and cursor", async () => {
    const lines: LogLine[] = [];
    const errors: Error[] = [];
    const source = new JournalSource(
      {
        journalmatch: "SYSLOG_IDENTIFIER=cjtest-app",
        command: journald.journalctl,
        onError: (error) => errors.push(error),
      },
      (line) => lines.push(line),
    );
    journald.log("cjtest-app", "written before the start: not delivered");
    await source.start();
    // journalctl needs a moment to reach the end of the journal before following it.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const before = Date.now() / 1000;
    journald.log("cjtest-other", "another program: not matched");
    journald.log("cjtest-app", "Failed password for root from 192.0.2.9 port 22 ssh2");
    await waitFor(() => lines.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await source.stop();
    expect(errors).toEqual([]);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line!.text).toMatch(
      new RegExp(`^${hostname()} cjtest-app\\[\\d+\\]: Failed password for root from 192\\.0\\.2\\.9 port 22 ssh2$`),
    );
    expect(line!.time!).toBeGreaterThanOrEqual(before - 1);
    expect(line!.time!).toBeLessThan(Date.now() / 1000 + 1);
    expect(line!.eventId).toMatch(/^s=[0-9a-f]+;i=/);
  });

  it("feeds a backend = systemd jail that bans", async () => {
    const configDir = makeConfigDir({
      "jail.conf": `[sshd]\nenabled = true\nbackend = systemd\njournalmatch = SYSLOG_IDENTIFIER=sshd\nmaxretry = 3\nfindtime = 10m\nbantime = 1h\naction = dry-run\nignoreself = false\n`,
    });
    const work = join(dir, "daemon");
    const settings = readDaemonSettings(configDir, {
      dbfile: ":memory:",
      logtarget: join(dir, "cloudjail.log"),
      socket: join(work, "s"),
      pidfile: join(work, "pid"),
    });
    const daemon = new Daemon({
      settings,
      log: openDaemonLog(settings.logtarget, "INFO"),
      dryRun: true,
      printDryRun: () => {},
      journalctl: journald.journalctl,
    });
    await daemon.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 700));
      for (let i = 0; i < 3; i++)
        journald.log("sshd", `Failed password for root from 192.0.2.50 port ${40000 + i} ssh2`);
      await waitFor(async () => (await daemon.bannedIps("sshd")).includes("192.0.2.50"));
      expect(daemon.pipeline("sshd").describeSources()).toEqual({ files: [], journal: "SYSLOG_IDENTIFIER=sshd" });
    } finally {
      await daemon.stop();
      rmSync(configDir, { recursive: true, force: true });
    }
  });
});

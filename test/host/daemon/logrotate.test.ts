// systemd/cloudjail.logrotate, run by the real logrotate against a log the daemon's log writer is writing: the
// file is renamed and recreated, the writer goes on in the new file (no signal, no copytruncate), the previous one
// is compressed at the next rotation, and nothing is lost.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { openDaemonLog } from "../../../host/daemon/daemon-log.js";
import { repoRoot } from "../support/repo-root.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-logrotate-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const log = join(work, "cloudjail.log");
const rules = readFileSync(join(repoRoot(), "systemd", "cloudjail.logrotate"), "utf8");
const config = join(work, "cloudjail.logrotate");
// the shipped rules, for this test's log instead of /var/log/cloudjail.log, owned by the test's user and group
writeFileSync(
  config,
  rules.replace(/^\/var\/log\/cloudjail\.log \{$/m, `${log} {`).replace(/create 0640 root adm/, "create 0640"),
);

function logrotate(): void {
  const result = spawnSync("logrotate", ["-f", "-s", join(work, "state"), config], { encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  expect(result.stderr).toBe("");
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 1100));

describe("logrotate with systemd/cloudjail.logrotate", () => {
  it("names the daemon's default log and is valid for logrotate", () => {
    expect(rules).toMatch(/^\/var\/log\/cloudjail\.log \{$/m);
    expect(rules).not.toMatch(/^\s+copytruncate/m);
    const result = spawnSync("logrotate", ["-d", "-s", join(work, "state-debug"), config], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/error/i);
  });

  it("rotates while the daemon writes: every line lands in a file, the new lines in the new file", async () => {
    const daemonLog = openDaemonLog(log, "INFO");
    try {
      daemonLog.log("NOTICE", "cloudjail.actions", "[sshd] Ban 192.0.2.1");
      logrotate();
      expect(readFileSync(`${log}.1`, "utf8")).toContain("Ban 192.0.2.1");
      // the writer checks the file's identity at most once a second
      await pause();
      daemonLog.log("NOTICE", "cloudjail.actions", "[sshd] Ban 192.0.2.2");
      expect(readFileSync(log, "utf8")).toContain("Ban 192.0.2.2");
      expect(readFileSync(log, "utf8")).not.toContain("Ban 192.0.2.1");

      logrotate();
      await pause();
      daemonLog.log("NOTICE", "cloudjail.actions", "[sshd] Ban 192.0.2.3");
      // delaycompress: the newest rotated file stays plain (a recidive jail may still read it), older ones compressed
      expect(readFileSync(`${log}.1`, "utf8")).toContain("Ban 192.0.2.2");
      expect(gunzipSync(readFileSync(`${log}.2.gz`)).toString()).toContain("Ban 192.0.2.1");
      expect(readFileSync(log, "utf8")).toContain("Ban 192.0.2.3");
      expect(existsSync(`${log}.2`)).toBe(false);
    } finally {
      await daemonLog.close();
    }
  });
});

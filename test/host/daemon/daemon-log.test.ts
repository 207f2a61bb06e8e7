import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatLogLine, openDaemonLog, parseLevel } from "../../../host/daemon/daemon-log.js";

const dir = mkdtempSync(join(tmpdir(), "cloudjail-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("daemon log", () => {
  it("writes fail2ban's line format", () => {
    const date = new Date(2024, 4, 1, 12, 3, 4, 56);
    expect(formatLogLine(date, "cloudjail.actions", "NOTICE", "[sshd] Ban 192.0.2.7", 812)).toBe(
      "2024-05-01 12:03:04,056 cloudjail.actions       [812]: NOTICE  [sshd] Ban 192.0.2.7",
    );
  });

  it("reads fail2ban's level names and numbers", () => {
    expect(parseLevel("notice")).toBe("NOTICE");
    expect(parseLevel("WARN")).toBe("WARNING");
    expect(parseLevel("20")).toBe("INFO");
    expect(parseLevel("HEAVYDEBUG")).toBe("DEBUG");
    expect(parseLevel("loud")).toBeUndefined();
  });

  it("filters by level, keeps one entry per line, and follows logrotate's rename", async () => {
    const path = join(dir, "cloudjail.log");
    const log = openDaemonLog(path, "NOTICE");
    log.log("INFO", "cloudjail.filter", "not shown");
    log.log("NOTICE", "cloudjail.actions", "[sshd] Ban 192.0.2.7\nforged line");
    renameSync(path, `${path}.1`);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    log.log("NOTICE", "cloudjail.actions", "[sshd] Unban 192.0.2.7");
    log.close();
    const rotated = readFileSync(`${path}.1`, "utf8").trim().split("\n");
    expect(rotated).toHaveLength(1);
    expect(rotated[0]).toMatch(/NOTICE {2}\[sshd\] Ban 192\.0\.2\.7 forged line$/);
    expect(readFileSync(path, "utf8")).toMatch(/NOTICE {2}\[sshd\] Unban 192\.0\.2\.7\n$/);
  });
});

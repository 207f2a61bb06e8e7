// A server with no enabled jail protects nothing: it says so on the terminal and as an ERROR in its log.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServerProcess } from "../support/server-process.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-nojail-"));
const log = join(work, "cloudjail.log");
const socket = join(work, "cloudjail.sock");
const configDir = makeConfigDir({
  "fail2ban.conf": `[Definition]\nlogtarget = ${log}\nsocket = ${socket}\npidfile = ${join(work, "pid")}\ndbfile = :memory:\n`,
  "jail.conf": `[sshd]\nenabled = false\nlogpath = ${join(work, "auth.log")}\n`,
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

describe("cloudjail server with 0 enabled jails", () => {
  it("warns loudly, then answers the client (start JAIL can still start one)", async () => {
    const server = await startServerProcess(["--config", configDir, "--dry-run"], socket, log);
    try {
      expect(server.stderr()).toContain(`cloudjail server: ERROR No jail is enabled in ${configDir}`);
      expect(readFileSync(log, "utf8")).toMatch(
        /cloudjail\.server +\[\d+\]: ERROR {3}No jail is enabled in .*nothing will be banned/,
      );
      expect(server.client("status").stdout).toBe("Status\n|- Number of jail:\t0\n`- Jail list:\t\n");
    } finally {
      server.client("stop");
      await server.exited;
    }
  }, 30_000);
});

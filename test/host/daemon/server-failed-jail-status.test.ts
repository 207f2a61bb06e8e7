// `cloudjail client status JAIL` (and any command naming it) for a jail that failed to start: the reason, what to do,
// and its own exit status (3, EXIT_JAIL_FAILED) so that a script tells it from a server that is down or a jail that
// does not exist (255, as fail2ban-client). Through a real server process and the real client.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_JAIL_FAILED } from "../../../host/control/control-protocol.js";
import { startServerProcess } from "../support/server-process.js";
import { makeConfigDir } from "../support/test-config.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-failed-status-"));
const log = join(work, "cloudjail.log");
const socket = join(work, "cloudjail.sock");
const authLog = join(work, "auth.log");
writeFileSync(authLog, "");
const configDir = makeConfigDir({
  "fail2ban.conf": `[Definition]\nlogtarget = ${log}\nsocket = ${socket}\npidfile = ${join(work, "pid")}\ndbfile = :memory:\n`,
  "jail.conf": `[DEFAULT]\naction = dry-run\nlogpath = ${authLog}\n\n[sshd]\nenabled = true\n\n[ssh-ddos]\nenabled = true\nfilter = sshd[mode=dddos]\n`,
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

describe("cloudjail client and a jail that failed to start", () => {
  it("names the failure and what to do, exit status 3; a jail that does not exist stays 255", async () => {
    const server = await startServerProcess(["--config", configDir, "--dry-run"], socket, log);
    try {
      const reason = "filter 'sshd' has no mode 'dddos' (it offers mode = normal, ddos, extra, aggressive)";
      const status = server.client("status", "ssh-ddos");
      expect(EXIT_JAIL_FAILED).toBe(3);
      expect(status.status).toBe(EXIT_JAIL_FAILED);
      expect(status.stdout).toBe("");
      expect(status.stderr).toBe(
        `ERROR  Jail 'ssh-ddos' failed: it is not running, nothing of it protects: ${join(configDir, "jail.conf")}:10 ` +
          `[ssh-ddos] filter: ${reason} (fix it, then run 'cloudjail client reload ssh-ddos')\n`,
      );
      // every command naming the jail says the same
      expect(server.client("get", "ssh-ddos", "bantime").status).toBe(EXIT_JAIL_FAILED);
      expect(server.client("set", "ssh-ddos", "banip", "192.0.2.1").status).toBe(EXIT_JAIL_FAILED);
      const unknown = server.client("status", "nope");
      expect(unknown.status).toBe(255);
      expect(unknown.stderr).toMatch(/^ERROR {2}Sorry but the jail 'nope' does not exist \(running: sshd\)/);
      const all = server.client("status");
      expect(all.status).toBe(0);
      expect(all.stdout).toContain(
        `\`- Failed jails:\tssh-ddos (${join(configDir, "jail.conf")}:10 [ssh-ddos] filter:`,
      );
      expect(server.client("status", "sshd").status).toBe(0);
    } finally {
      server.client("stop");
      await server.exited;
    }
  }, 30_000);
});

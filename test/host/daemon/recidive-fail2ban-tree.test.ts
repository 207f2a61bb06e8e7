// A server on fail2ban's own /etc/fail2ban tree, recidive included: on a fail2ban tree the daemon logs under
// fail2ban's logger names, so fail2ban's recidive filter (which expects `fail2ban.actions`) finds the bans.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fail2banConfig, requireFail2ban } from "../../support/reference.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { makeConfigDir } from "../support/test-config.js";

requireFail2ban();
const work = mkdtempSync(join(tmpdir(), "cloudjail-recidive-"));
const authLog = join(work, "auth.log");
const daemonLog = join(work, "fail2ban.log");
const socket = join(work, "run", "f2b.sock");
writeFileSync(authLog, "");
writeFileSync(daemonLog, "");

function fail2banTree(extraLocal: string): string {
  return makeConfigDir(
    {
      "fail2ban.local": `[Definition]
logtarget = ${daemonLog}
socket = ${socket}
pidfile = ${join(work, "run", "f2b.pid")}
dbfile = ${join(work, `f2b-${trees.length}.sqlite3`)}
${extraLocal}`,
      "jail.local": `[DEFAULT]
bantime = 1h

[sshd]
enabled = true
logpath = ${authLog}
backend = auto

[recidive]
enabled = true
logpath = ${daemonLog}
maxretry = 2
`,
    },
    fail2banConfig,
  );
}

const trees: string[] = [];
let server: ServerProcess | undefined;
afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill();
    await server.exited;
  }
  for (const tree of [work, ...trees]) rmSync(tree, { recursive: true, force: true });
});

async function banTwice(tree: string): Promise<ServerProcess> {
  server = await startServerProcess(["--config", tree, "--dry-run"], socket, daemonLog);
  for (const words of [
    ["set", "sshd", "banip", "198.51.100.77"],
    ["set", "sshd", "unbanip", "198.51.100.77"],
    ["set", "sshd", "banip", "198.51.100.77"],
  ]) {
    expect(server.client(...words).stdout).toBe("1\n");
  }
  return server;
}

async function recidiveBans(running: ServerProcess): Promise<string> {
  // the recidive jail reads the log it shares with the daemon: give it time to see the second Ban line
  const deadline = Date.now() + 8000;
  let banned = "";
  while (Date.now() < deadline) {
    banned = running.client("get", "recidive", "banip").stdout.trim();
    if (banned !== "") break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return banned;
}

async function stop(running: ServerProcess): Promise<void> {
  running.client("stop");
  await running.exited;
}

describe("recidive on fail2ban's own tree", () => {
  it("bans a repeat offender: the log says fail2ban.actions", async () => {
    const tree = fail2banTree("");
    trees.push(tree);
    const running = await banTwice(tree);
    try {
      expect(await recidiveBans(running)).toBe("198.51.100.77");
      expect(readFileSync(daemonLog, "utf8")).toMatch(
        / fail2ban\.actions +\[\d+\]: NOTICE {2}\[sshd\] Ban 198\.51\.100\.77\n/,
      );
    } finally {
      await stop(running);
    }
  }, 60_000);

  it("with lognames = cloudjail, fail2ban's recidive filter finds nothing (why the default differs)", async () => {
    writeFileSync(daemonLog, "");
    const tree = fail2banTree("lognames = cloudjail\n");
    trees.push(tree);
    const running = await banTwice(tree);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(running.client("get", "recidive", "banip").stdout.trim()).toBe("");
      expect(readFileSync(daemonLog, "utf8")).toMatch(
        / cloudjail\.actions +\[\d+\]: NOTICE {2}\[sshd\] Ban 198\.51\.100\.77\n/,
      );
    } finally {
      await stop(running);
    }
  }, 60_000);
});

// A daemon's own folder for tests that run one sshd jail with dry-run actions: its auth.log, its log file, its
// database and a configuration tree naming them. The tests differ in how they start the daemon, not in this.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeConfigDir } from "./test-config.js";

export interface SshdDaemonTree {
  readonly dir: string;
  readonly authLog: string;
  readonly daemonLog: string;
  readonly dbfile: string;
  /** The configuration tree (the caller removes it). */
  readonly configDir: string;
}

/** Makes `parent/name` with an empty auth.log and daemon log, and a tree whose sshd jail reads the auth.log. */
export function sshdDaemonTree(parent: string, name: string, jailExtra = ""): SshdDaemonTree {
  const dir = join(parent, name);
  mkdirSync(dir);
  const authLog = join(dir, "auth.log");
  const daemonLog = join(dir, "cloudjail.log");
  const dbfile = join(dir, "cloudjail.sqlite3");
  writeFileSync(authLog, "");
  writeFileSync(daemonLog, "");
  const configDir = makeConfigDir({
    "fail2ban.conf": `[Definition]
loglevel = INFO
logtarget = ${daemonLog}
socket = ${join(dir, "cloudjail.sock")}
pidfile = ${join(dir, "cloudjail.pid")}
dbfile = ${dbfile}
`,
    "jail.conf": `[sshd]
enabled = true
logpath = ${authLog}
maxretry = 3
findtime = 10m
bantime = 1h
action = dry-run
${jailExtra}`,
  });
  return { dir, authLog, daemonLog, dbfile, configDir };
}

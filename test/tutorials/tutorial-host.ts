// A host set up as a tutorial reader sets up fail2ban, with cloudjail instead: the installed tree (a copy of the
// bundled config/, as docs/install.md puts it in /etc/cloudjail) plus the tutorial's files, a `cloudjail server`
// process in dry-run (its firewall commands are written to its log instead of run), and `cloudjail client`.
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { appendFailures } from "../host/support/live-log.js";
import {
  type ClientRun,
  runCloudjail,
  type ServerProcess,
  startServerProcess,
} from "../host/support/server-process.js";
import { bundledConfig } from "../host/support/test-config.js";

/** One tutorial's machine. */
export class TutorialHost {
  readonly work = mkdtempSync(join(tmpdir(), "cloudjail-tutorial-"));
  readonly tree = join(this.work, "etc-cloudjail");
  readonly daemonLog = join(this.work, "cloudjail.log");
  readonly socket = join(this.work, "run", "cloudjail.sock");
  private server: ServerProcess | undefined;

  /** `files`: the tutorial's files, by path in the tree (`jail.local`, `filter.d/x.conf` ...). */
  constructor(files: Readonly<Record<string, string>>) {
    cpSync(bundledConfig, this.tree, { recursive: true });
    rmSync(join(this.tree, "sample"), { recursive: true, force: true });
    writeFileSync(
      join(this.tree, "fail2ban.local"),
      `[Definition]\nlogtarget = ${this.daemonLog}\nsocket = ${this.socket}\npidfile = ${join(this.work, "run", "pid")}\ndbfile = ${join(this.work, "db.sqlite3")}\n`,
    );
    for (const [path, text] of Object.entries(files)) this.write(path, text);
  }

  /** Writes a file of the tree (or, with an absolute path, anywhere). */
  write(path: string, text: string): string {
    const full = path.startsWith("/") ? path : join(this.tree, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
    return full;
  }

  /** A log file of the machine, empty. */
  log(name: string): string {
    return this.write(join(this.work, name), "");
  }

  /** `systemctl start cloudjail`: the server on this tree, dry-run, `logpaths` pointing jails at the test's logs. */
  async start(logpaths: Readonly<Record<string, string>>): Promise<ServerProcess> {
    const args = ["--config", this.tree, "--dry-run"];
    for (const [jail, path] of Object.entries(logpaths)) args.push("--logpath", `${jail}=${path}`);
    this.server = await startServerProcess(args, this.socket, this.daemonLog);
    return this.server;
  }

  /** `cloudjail server --test` on this tree: every problem, with its file and line; exit 1 on any. */
  checkConfiguration(): ClientRun {
    return runCloudjail(["server", "--test", "--config", this.tree]);
  }

  /** `cloudjail client ...` (the server's socket). */
  client(...words: string[]): ClientRun {
    return runCloudjail(["client", "--socket", this.socket, ...words]);
  }

  /** `cloudjail regex ...` with this tree as --config. */
  regex(...args: string[]): ClientRun {
    return runCloudjail(["regex", "--config", this.tree, ...args]);
  }

  /** sshd "Failed password" lines from `ip`, stamped now. */
  sshFailures(log: string, ip: string, count: number): void {
    appendFailures(log, ip, count);
  }

  /** Appends lines to a log. */
  append(log: string, lines: readonly string[]): void {
    appendFileSync(log, `${lines.join("\n")}\n`);
  }

  /** Waits until `client get JAIL banned IP` says `expected` (1 or 0), or throws with the daemon's log. */
  async waitBanned(jail: string, ip: string, expected = "1", timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.client("get", jail, "banned", ip).stdout.trim() !== expected) {
      if (Date.now() > deadline) {
        throw new Error(`${ip} never ${expected === "1" ? "banned" : "unbanned"} in ${jail}:\n${this.daemonText()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  /** The daemon's log so far. */
  daemonText(): string {
    return readFileSync(this.daemonLog, "utf8");
  }

  /** The firewall commands the dry run printed for a jail. */
  dryRun(jail: string): string[] {
    return this.daemonText()
      .split("\n")
      .filter((line) => line.includes(`[${jail}] dry-run: `));
  }

  /** `cloudjail client stop` and the server's end; removes the machine. */
  async close(): Promise<void> {
    if (this.server && this.server.child.exitCode === null) {
      this.client("stop");
      await this.server.exited;
    }
    rmSync(this.work, { recursive: true, force: true });
  }
}

// logtarget = SYSLOG: the daemon's log lines to the local syslog socket, as fail2ban's SysLogHandler sends them
// (`cloudjail.actions[812]: NOTICE [sshd] Ban 192.0.2.7`, facility daemon). Node has no Unix datagram sockets, and
// /dev/log is one, so the lines go through util-linux's `logger` (Essential on Debian): one long-lived process per
// logger name (its syslog tag), fed one line per entry with the priority as a `<N>` prefix. Log text reaches it only
// on standard input, never as an argument or through a shell. One name's entries keep their order; entries of two
// names (cloudjail.filter, cloudjail.actions) may reach syslog in the other order when written within a moment.
import { type ChildProcess, spawn } from "node:child_process";

/** Writes entries to syslog; `socket` is fail2ban's `syslogsocket` (`auto`: the system's, else a socket path). */
export class SyslogSink {
  private readonly children = new Map<string, ChildProcess>();
  private broken = false;

  constructor(
    private readonly socket: string,
    /** Told once when logger cannot be run or fails: the entries are then dropped. */
    private readonly report: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
    private readonly command = "logger",
  ) {}

  /** Sends one entry (a single line) with syslog severity `severity` (0-7), facility daemon. */
  write(tag: string, severity: number, text: string): void {
    if (this.broken) return;
    let child = this.children.get(tag);
    if (!child) {
      child = this.spawnLogger(tag);
      this.children.set(tag, child);
    }
    child.stdin?.write(`<${3 * 8 + severity}>${text}\n`);
  }

  /** Ends the logger processes once they have sent what they were given. */
  close(): Promise<void> {
    const children = [...this.children.values()];
    this.children.clear();
    return Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("close", () => resolve());
            child.stdin?.end();
          }),
      ),
    ).then(() => undefined);
  }

  private spawnLogger(tag: string): ChildProcess {
    const args = ["--prio-prefix", `--id=${process.pid}`, "--tag", tag, "--socket-errors=on"];
    if (this.socket !== "" && this.socket.toLowerCase() !== "auto") args.push("--socket", this.socket);
    const child = spawn(this.command, args, { stdio: ["pipe", "ignore", "pipe"] });
    let errors = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      errors += chunk.toString("utf8");
    });
    const fail = (reason: string) => {
      if (this.broken) return;
      this.broken = true;
      this.report(`cloudjail: logtarget = SYSLOG does not work, log entries are dropped: ${reason}`);
    };
    child.on("error", (error) => fail(`cannot run ${this.command}: ${error.message}`));
    // A logger that failed at start (no socket) makes our writes fail with EPIPE before its exit is seen: the exit
    // status and its message say why, so a write error is reported only if the process did not say more.
    let writeError: Error | undefined;
    child.stdin?.on("error", (error) => {
      writeError ??= error;
    });
    child.on("close", (code) => {
      if (code !== 0 && code !== null) fail(`${this.command} exited with ${code}: ${errors.trim().slice(0, 500)}`);
      else if (writeError) fail(`${this.command} stopped reading: ${writeError.message}`);
    });
    return child;
  }
}

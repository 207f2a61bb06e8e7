// Runs the shell scripts of actions. The script text holds only configuration; ticket values arrive in the
// environment (see action-template.ts). A dry-run runner prints instead of running, for the quick start and tests.
import { spawn } from "node:child_process";

/** Outcome of one script. */
export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Executes action scripts. */
export interface CommandRunner {
  /**
   * Runs `script` with `/bin/sh -c`, the ticket values in `env`, killing it after `timeoutMs`; keeps at most
   * `outputLimit` characters of stdout (default 64 KiB; a firewall listing asks for more).
   */
  run(
    script: string,
    env: Readonly<Record<string, string>>,
    timeoutMs: number,
    outputLimit?: number,
  ): Promise<CommandResult>;
}

const defaultOutputLimit = 64 * 1024;

/** Runs scripts with /bin/sh, optionally wrapped (e.g. `ip netns exec NAME` for tests in a network namespace). */
export class ShellCommandRunner implements CommandRunner {
  /** @param prefix argv put before `/bin/sh -c script`, e.g. `["ip", "netns", "exec", "ns1"]`. */
  constructor(private readonly prefix: readonly string[] = []) {}

  run(
    script: string,
    env: Readonly<Record<string, string>>,
    timeoutMs: number,
    outputLimit = defaultOutputLimit,
  ): Promise<CommandResult> {
    const [command, ...args] = [...this.prefix, "/bin/sh", "-c", script];
    return new Promise((resolve) => {
      // A process group of its own, so that a timeout kills the script's children too (they hold the pipes).
      const child = spawn(command!, args, {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      let stdout = "";
      let stderr = "";
      let timedOut = false;
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        if (stdout.length < outputLimit) stdout += chunk;
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        if (stderr.length < defaultOutputLimit) stderr += chunk;
      });
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
      }, timeoutMs);
      child.on("error", (error) => {
        clearTimeout(timer);
        resolve({ code: null, signal: null, stdout, stderr: stderr + error.message, timedOut });
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, timedOut });
      });
    });
  }
}

/** One script a dry run would have run. */
export interface DryRunRecord {
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
}

/** Runs nothing: records each script (and hands it to `print`), and reports success. */
export class DryRunCommandRunner implements CommandRunner {
  readonly records: DryRunRecord[] = [];
  constructor(private readonly print?: (record: DryRunRecord) => void) {}

  async run(script: string, env: Readonly<Record<string, string>>): Promise<CommandResult> {
    const record = { script, env };
    this.records.push(record);
    this.print?.(record);
    return { code: 0, signal: null, stdout: "", stderr: "", timedOut: false };
  }
}

// A `cloudjail server` process run from dist/ as a user runs it, with a temporary configuration tree, and the
// `cloudjail client` command to talk to it: the socket, the exit codes and standard error are the real ones.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./repo-root.js";

/** The result of one `cloudjail client` run. */
export interface ClientRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running server and what it printed on standard error. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly stderr: () => string;
  /** Runs `cloudjail client --socket SOCKET ...words`. */
  readonly client: (...words: string[]) => ClientRun;
  /** Resolves with the exit code once the process ended. */
  readonly exited: Promise<number | null>;
}

function bin(): string {
  const root = repoRoot();
  if (!existsSync(join(root, "dist", "cli.js"))) throw new Error("dist/cli.js missing: run `npm run build` first");
  return join(root, "bin", "cloudjail.js");
}

/** Runs `cloudjail ...args` to its end. */
export function runCloudjail(args: readonly string[]): ClientRun {
  const result = spawnSync(process.execPath, [bin(), ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts `cloudjail server ...args` and waits until its socket answers (or the process ends, which throws). */
export async function startServerProcess(args: readonly string[], socket: string, log: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [bin(), "server", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const client = (...words: string[]) => runCloudjail(["client", "--socket", socket, ...words]);
  const deadline = Date.now() + 20_000;
  while (!(existsSync(socket) && client("ping").status === 0)) {
    if (ended || Date.now() > deadline) {
      const text = existsSync(log) ? readFileSync(log, "utf8") : "";
      child.kill();
      throw new Error(`the server did not start:\n${stderr}\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, stderr: () => stderr, client, exited };
}

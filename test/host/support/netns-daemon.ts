// What the end-to-end tests share: a bundled CLI, a test network with a real sshd (for the tests that need one), and
// a `cloudjail server` started inside the server namespace, so that its firewall commands change that namespace's
// tables only, never the host's. Each test keeps its own assertions; the set-up and tear-down live here once.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { buildCli } from "./cli-bundle.js";
import { canUseNetns, createTestNetwork, type TestNetwork } from "./netns.js";
import { startSshd, type TestSshd } from "./sshd.js";

/** Polls `predicate` until it holds; past `timeoutMs` throws with `debug()` (the logs) in the message. */
export async function waitFor(
  what: string,
  predicate: () => boolean,
  timeoutMs: number,
  debug: () => string,
  stepMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${debug()}`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/** A file's text, or "(missing)" (for failure messages). */
export function readOrMissing(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "(missing)";
  }
}

/** Runs `cloudjail client --socket SOCKET ...argv` and returns its trimmed output (throws on a non-zero exit). */
export function clientOf(cli: string, socket: string): (...argv: string[]) => string {
  return (...argv) =>
    execFileSync(process.execPath, [cli, "client", "--socket", socket, ...argv], { encoding: "utf8" }).trim();
}

/** Starts `cloudjail server ...args` in the network's server namespace; resolves once the socket answers `ping`. */
export async function startServerInNetns(
  network: TestNetwork,
  cli: string,
  args: readonly string[],
  socket: string,
  debug: () => string,
): Promise<ChildProcess> {
  const daemon = spawn("ip", ["netns", "exec", network.server, process.execPath, cli, "server", ...args], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  const client = clientOf(cli, socket);
  await waitFor(
    "the daemon",
    () => {
      try {
        return client("ping") === "Server replied: pong";
      } catch {
        return false;
      }
    },
    15_000,
    debug,
  );
  return daemon;
}

/** Stops a server still running (SIGTERM) and waits for its exit. */
export async function stopServer(daemon: ChildProcess | undefined): Promise<void> {
  if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null) return;
  const exited = new Promise((resolve) => daemon.once("exit", resolve));
  daemon.kill("SIGTERM");
  await exited;
}

/** What a test file gets from {@link useSshdNetwork}: filled in by its beforeAll. */
export interface SshdNetwork {
  network: TestNetwork;
  sshd: TestSshd;
  cli: string;
  work: string;
}

/**
 * Registers beforeAll/afterAll building a bundled CLI, a network with the named client namespaces and a real sshd in
 * the server namespace, and removing them all afterwards.
 */
export function useSshdNetwork(prefix: string, clients: readonly string[]): SshdNetwork {
  const context = {} as SshdNetwork;
  beforeAll(async () => {
    if (!canUseNetns()) throw new Error("this test needs root and iproute2 (run scripts/prepare-test-env.mjs)");
    context.work = mkdtempSync(join(tmpdir(), prefix));
    context.cli = await buildCli();
    context.network = createTestNetwork(clients);
    context.sshd = await startSshd(context.network, context.work);
  });
  afterAll(() => {
    context.sshd?.stop();
    context.network?.destroy();
    if (context.work) rmSync(context.work, { recursive: true, force: true });
    if (context.cli) rmSync(dirname(context.cli), { recursive: true, force: true });
  });
  return context;
}

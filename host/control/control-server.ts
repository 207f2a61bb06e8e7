// The daemon side of the control socket: a Unix socket in a root-only directory, itself mode 0600, so that only
// root can ban, unban or stop. A stale socket left by a crash is replaced; a live one (another daemon) is an error.
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { dirname } from "node:path";
import { CloudjailError } from "../../shared/errors.js";
import {
  type CommandAnswer,
  CommandError,
  type ControlResponse,
  MAX_REQUEST_BYTES,
  parseRequest,
} from "./control-protocol.js";

/** Answers one command (text, or text with notes); a thrown error becomes an error response. */
export type CommandHandler = (argv: readonly string[]) => Promise<string | CommandAnswer>;

/** Whether a daemon answers on the socket `path` (a stale file left by a crash does not). */
export function socketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

/** Listens on `path`; resolves with the server once it accepts connections. */
export async function startControlServer(path: string, handle: CommandHandler): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (existsSync(path)) {
    if (await socketAlive(path)) throw new CloudjailError(`another server answers on ${path}: stop it first`);
    rmSync(path, { force: true });
  }
  const server = createServer((connection) => {
    let buffer = "";
    connection.setEncoding("utf8");
    const reply = (response: ControlResponse) => connection.end(`${JSON.stringify(response)}\n`);
    connection.on("data", (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES) {
        reply({ ok: false, error: "request too large" });
        return;
      }
      const newline = buffer.indexOf("\n");
      if (newline < 0) return;
      const line = buffer.slice(0, newline);
      buffer = "";
      let argv: readonly string[];
      try {
        argv = parseRequest(line).argv;
      } catch (error) {
        reply({ ok: false, error: `bad request: ${(error as Error).message}` });
        return;
      }
      handle(argv).then(
        (answer) =>
          reply(
            typeof answer === "string"
              ? { ok: true, output: answer }
              : { ok: true, output: answer.output, ...(answer.notes?.length ? { notes: answer.notes } : {}) },
          ),
        (error: unknown) =>
          reply({
            ok: false,
            error: error instanceof Error ? error.message : String(error),
            ...(error instanceof CommandError ? { exitStatus: error.exitStatus } : {}),
          }),
      );
    });
    connection.on("error", () => {});
  });
  // Created with a umask that keeps it private from the start, then made explicit.
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(previous);
  }
  chmodSync(path, 0o600);
  return server;
}

/** Closes the server and removes its socket file. */
export async function stopControlServer(server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(path, { force: true });
}

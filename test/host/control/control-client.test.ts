// `cloudjail client` against a server whose queue of connections to accept is full: connecting fails with EAGAIN
// before anything is sent, and the client tries again instead of failing.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sendCommand } from "../../../host/control/control-client.js";

// A server with a backlog of 1 that accepts nothing for half a second, then answers every request with "pong".
const slowServer = `
import socket, sys, time
path, count = sys.argv[1], int(sys.argv[2])
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
print("ready", flush=True)
time.sleep(0.5)
for _ in range(count):
    conn, _ = server.accept()
    conn.makefile("rb").readline()
    conn.sendall(b'{"ok": true, "output": "pong"}\\n')
    conn.close()
`;

let dir: string | undefined;
let server: ChildProcess | undefined;
afterEach(() => {
  server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("sendCommand", () => {
  it("retries a connection the server's full queue refused (EAGAIN)", async () => {
    dir = mkdtempSync(join(tmpdir(), "cloudjail-client-"));
    const path = join(dir, "s");
    const clients = 12;
    server = spawn("python3", ["-c", slowServer, path, String(clients)], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => server!.stdout!.once("data", () => resolve()));
    const answers = await Promise.all(Array.from({ length: clients }, () => sendCommand(path, ["ping"], 10_000)));
    expect(answers.map((answer) => answer.ok && answer.output)).toEqual(Array(clients).fill("pong"));
  });
});

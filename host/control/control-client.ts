// The client side of the control socket (`cloudjail client`).
import { connect } from "node:net";
import { CloudjailError } from "../../shared/errors.js";
import type { ControlResponse } from "./control-protocol.js";

/**
 * Sends one command and returns the daemon's answer; throws a CloudjailError when the daemon cannot be reached.
 * When the server's queue of connections still to accept is full (many clients at once), connecting fails with
 * EAGAIN before anything is sent: the client tries again, with a growing delay, within its time limit.
 */
export async function sendCommand(path: string, argv: readonly string[], timeoutMs = 30_000): Promise<ControlResponse> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await sendOnce(path, argv, Math.max(1, deadline - Date.now()));
    } catch (error) {
      const delay = Math.min(500, 5 * 2 ** attempt) * (0.5 + Math.random());
      const busy = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code === "EAGAIN";
      if (!busy || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function sendOnce(path: string, argv: readonly string[], timeoutMs: number): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CloudjailError(`no answer from the server on ${path} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${JSON.stringify({ argv })}\n`));
    socket.on("data", (chunk: string) => {
      data += chunk;
    });
    socket.on("end", () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(data) as ControlResponse);
      } catch {
        reject(new CloudjailError(`unreadable answer from the server on ${path}`));
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        error.code === "ENOENT" || error.code === "ECONNREFUSED"
          ? "Is the server running?"
          : error.code === "EACCES"
            ? "The socket is root's only: run as root."
            : error.message;
      reject(new CloudjailError(`Failed to access socket path: ${path}. ${why}`, { cause: error }));
    });
  });
}

// Tells systemd how the daemon is doing, so that `systemctl status cloudjail` shows a degraded daemon (a jail that
// failed, a jail that reads nothing) instead of a plain "active (running)". Node cannot send on a Unix datagram
// socket, so the message goes through systemd-notify (the unit sets NotifyAccess=all for that reason).
import { execFile } from "node:child_process";

/** Sends `STATUS=text` to systemd when run under it (NOTIFY_SOCKET set); resolves with an error message or undefined. */
export function notifyServiceStatus(
  text: string,
  env: NodeJS.ProcessEnv = process.env,
  command = "systemd-notify",
): Promise<string | undefined> {
  if (!env["NOTIFY_SOCKET"]) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(command, [`--status=${text}`], { env, timeout: 10_000 }, (error, _stdout, stderr) =>
      resolve(error ? `${command} failed: ${stderr.trim() || error.message}` : undefined),
    );
  });
}

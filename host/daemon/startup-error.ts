// Turns the errors a daemon meets at start for ordinary reasons (run as a user who may not write /run or /var/lib,
// a path under a file, a read-only disk, a missing command) into one sentence saying what and what to do, instead
// of an "internal error" with a stack trace. Anything else is left as it is: that one is a bug.
import { CloudjailError } from "../../shared/errors.js";

/** An expected start-up failure: printed as a sentence (exit 1), written to the daemon's log too. */
export class StartupError extends CloudjailError {
  override name = "StartupError";
}

const ADVICE: Record<string, string> = {
  EACCES:
    "permission denied: run cloudjail server as root, or point socket, pidfile, dbfile and logtarget to paths this user may write",
  EPERM: "operation not permitted: run cloudjail server as root (it changes the firewall)",
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "it is a folder, not a file",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
  EEXIST: "it already exists",
};

/** The error to report for `error` thrown while the daemon started: a StartupError for an expected condition. */
export function describeStartupError(error: unknown): Error {
  if (error instanceof CloudjailError) return error;
  const errno = error as NodeJS.ErrnoException;
  const advice = errno?.code !== undefined ? ADVICE[errno.code] : undefined;
  if (advice === undefined) return error instanceof Error ? error : new Error(String(error));
  const dest = (errno as { dest?: string }).dest;
  const what = [errno.syscall, errno.path, dest ? `-> ${dest}` : undefined].filter(Boolean).join(" ");
  const user = process.getuid?.() === 0 ? "" : ` (running as uid ${process.getuid?.()}, not root)`;
  return new StartupError(`cannot start: ${what || errno.message}: ${advice}${user}`, { cause: error });
}

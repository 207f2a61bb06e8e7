// One daemon per pid file and per database. The lock is taken before any action runs: a second `cloudjail server`
// started by mistake must not run the actions' start and stop, which would empty the first one's firewall table.
// A lock file holds the owner's pid and its start time (from /proc), so that a lock left by a crash, or by a pid
// reused since, is recognised as stale and taken over.
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { CloudjailError } from "../../shared/errors.js";

/** Another live daemon holds the lock; the message names its pid and the file. */
export class InstanceLockedError extends CloudjailError {
  override name = "InstanceLockedError";
  constructor(
    readonly path: string,
    readonly pid: number,
    what: string,
  ) {
    super(`another cloudjail server (pid ${pid}) already uses ${what} ${path}: stop it first (nothing was changed)`);
  }
}

/** The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat); undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

function ownerOf(path: string): { pid: number; start?: string } | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const [pidText, start] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return start ? { pid, start } : { pid };
}

/** Lock files held by this process (two daemons in one process, as tests make, exclude each other too). */
const heldHere = new Set<string>();

/**
 * Whether the process recorded in a lock file still runs: the same process when its start time was recorded,
 * otherwise (a plain pid file) a process of ours (its command line names cloudjail or our own script).
 */
function alive(owner: { pid: number; start?: string }): boolean {
  if (owner.pid === process.pid) return false;
  const start = processStartTime(owner.pid);
  if (start === undefined) return false;
  if (owner.start !== undefined) return owner.start === start;
  try {
    const command = readFileSync(`/proc/${owner.pid}/cmdline`, "utf8");
    const script = process.argv[1];
    return command.includes("cloudjail") || (script !== undefined && command.includes(script));
  } catch {
    return false;
  }
}

/** A held lock file; `release` removes it if it is still ours. */
export interface InstanceLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes the lock file `path` (the pid file itself, or `<db>.lock`) for this process: creates it atomically with
 * this pid, or takes over a stale one; throws InstanceLockedError when a live process holds it. The folder is
 * created mode 0700 (root only, like /run/cloudjail under systemd). With `pidOnly` the file holds the pid alone
 * (the pid file).
 */
export function acquireInstanceLock(
  path: string,
  what: string,
  options: { readonly pidOnly?: boolean } = {},
): InstanceLock {
  if (heldHere.has(path)) throw new InstanceLockedError(path, process.pid, what);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // a pid file holds the pid alone, as fail2ban's and as scripts expect; a lock file adds the start time
  const start = options.pidOnly ? undefined : processStartTime(process.pid);
  const content = start === undefined ? `${process.pid}\n` : `${process.pid} ${start}\n`;
  // written aside, then hard-linked into place: link fails with EEXIST when the lock exists, whoever won the race
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(temp, path);
        return lockAt(path, content);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const owner = ownerOf(path);
      if (owner && alive(owner)) throw new InstanceLockedError(path, owner.pid, what);
      rmSync(path, { force: true }); // stale: its process is gone
    }
    throw new CloudjailError(`could not take the lock ${path}: it keeps coming back (another server starting?)`);
  } finally {
    rmSync(temp, { force: true });
  }
}

function lockAt(path: string, content: string): InstanceLock {
  heldHere.add(path);
  return {
    path,
    release() {
      heldHere.delete(path);
      try {
        if (readFileSync(path, "utf8") === content) rmSync(path, { force: true });
      } catch {
        // already gone
      }
    },
  };
}

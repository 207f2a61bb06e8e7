// Which log source a jail reads: its files or the journal. The bundled jail.conf says `backend = auto`, and a
// tutorial's jail.local only adds `logpath = /var/log/auth.log`: that file must be read, and on a system that logs
// to the journal only (Debian 12 without rsyslog) the journal must be read instead, and the daemon must say which.
import type { ConfigValue } from "../../shared/config/config-value.js";
import type { LogPath } from "../../shared/jail/jail-config.js";

/** What a jail reads, and the sentence the daemon logs at INFO about the choice. */
export interface LogBackendChoice {
  readonly kind: "files" | "journal";
  readonly reason: string;
}

/** What the choice is made from. */
export interface LogBackendInput {
  /** The jail's `backend` option: auto, polling, pyinotify, inotify, systemd (with optional [args]). */
  readonly backend: string;
  readonly logpaths: readonly LogPath[];
  /** The journalmatch expression of the jail or its filter ("" when none). */
  readonly journalmatch: string;
  /** Where `backend` and `logpath` were written (file and line). */
  readonly backendOrigin?: ConfigValue | undefined;
  readonly logpathOrigin?: ConfigValue | undefined;
  /** Whether a logpath pattern matches at least one existing file now. */
  readonly matchesFile: (pattern: string) => boolean;
}

/** True for a value the user wrote in a `.local` file (jail.local, jail.d/*.local) rather than a shipped `.conf`. */
function isLocal(origin: ConfigValue | undefined): boolean {
  return origin?.file?.endsWith(".local") === true;
}

/**
 * Chooses files or journal for a jail:
 * - `backend = systemd` reads the journal, unless the logpath was written in a `.local` file and the backend only in
 *   a shipped `.conf` (the user's explicit logpath wins over a distribution default);
 * - `backend = auto` reads the files when a logpath matches an existing file, otherwise the journal when the filter
 *   has a journalmatch, otherwise the files (watched, and reported missing);
 * - polling, pyinotify, inotify read the files.
 */
export function chooseLogBackend(input: LogBackendInput): LogBackendChoice {
  const backend = input.backend.trim().toLowerCase();
  const patterns = input.logpaths.map((logpath) => logpath.pattern);
  const listed = patterns.join(" ");
  if (backend.startsWith("systemd")) {
    if (patterns.length > 0 && isLocal(input.logpathOrigin) && !isLocal(input.backendOrigin)) {
      return {
        kind: "files",
        reason: `reading the files of logpath (${listed}, set in ${place(input.logpathOrigin)}) instead of the journal of backend = systemd (${place(input.backendOrigin)})`,
      };
    }
    return { kind: "journal", reason: `reading the journal (backend = systemd, journalmatch ${input.journalmatch})` };
  }
  if (backend !== "auto") return { kind: "files", reason: `reading the files of logpath (backend = ${backend})` };
  const existing = patterns.filter((pattern) => input.matchesFile(pattern));
  if (existing.length > 0) {
    return { kind: "files", reason: `reading the files of logpath (backend = auto: ${existing.join(" ")} exists)` };
  }
  if (input.journalmatch !== "") {
    return {
      kind: "journal",
      reason: `reading the journal (backend = auto: no file matches logpath ${listed || "(none)"}; journalmatch ${input.journalmatch})`,
    };
  }
  return {
    kind: "files",
    reason: `reading the files of logpath (backend = auto: no file matches ${listed} yet and the filter has no journalmatch)`,
  };
}

function place(origin: ConfigValue | undefined): string {
  if (!origin?.file) return "an unknown file";
  return origin.line ? `${origin.file}:${origin.line}` : origin.file;
}

// The control socket speaks one JSON object per line: the client sends `{"argv": [...]}` (fail2ban-client's words),
// the daemon answers `{"ok": true, "output": "..."}` or `{"ok": false, "error": "..."}` (with `"exitStatus": 3` for a
// jail that failed to start) and closes.

import { CloudjailError } from "../../shared/errors.js";

/** A request from `cloudjail client`. */
export interface ControlRequest {
  readonly argv: readonly string[];
}

/**
 * What a command answers: the text fail2ban-client would print on standard output, and notes for standard error
 * that say why something did not happen (an ignored address not banned), leaving the output as scripts expect it.
 */
export interface CommandAnswer {
  readonly output: string;
  readonly notes?: readonly string[];
}

/** The daemon's answer. */
export type ControlResponse =
  | { readonly ok: true; readonly output: string; readonly notes?: readonly string[] }
  | {
      readonly ok: false;
      readonly error: string;
      /** The client's exit status for this error when it is not fail2ban-client's 255 (see {@link CommandError}). */
      readonly exitStatus?: number;
    };

/**
 * `cloudjail client`'s exit status when the jail named is configured but not running because it failed to start
 * (its configuration does not build, or its start met an error): a script watching a jail tells it from a server
 * that is down or a jail that does not exist (255).
 */
export const EXIT_JAIL_FAILED = 3;

/** A command's error that the client reports with its own exit status instead of 255. */
export class CommandError extends CloudjailError {
  override name = "CommandError";
  constructor(
    message: string,
    readonly exitStatus: number,
  ) {
    super(message);
  }
}

/** Largest request accepted, so a stray writer cannot make the daemon buffer without end. */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** Parses a request line; throws a plain Error saying what is wrong. */
export function parseRequest(line: string): ControlRequest {
  const value: unknown = JSON.parse(line);
  if (
    typeof value !== "object" ||
    value === null ||
    !Array.isArray((value as { argv?: unknown }).argv) ||
    !(value as { argv: unknown[] }).argv.every((word) => typeof word === "string")
  ) {
    throw new Error('expected {"argv": ["word", ...]}');
  }
  return { argv: (value as { argv: string[] }).argv };
}

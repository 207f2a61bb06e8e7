// The control socket speaks one JSON object per line: the client sends `{"argv": [...]}` (fail2ban-client's words),
// the daemon answers `{"ok": true, "output": "..."}` or `{"ok": false, "error": "..."}` and closes.

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
  | { readonly ok: false; readonly error: string };

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

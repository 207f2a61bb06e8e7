// Runs oracle.py (CPython's re, and the reference fail2ban package) once per request, JSON in and out.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { fail2banRoot } from "../../support/reference.js";

const script = fileURLToPath(new URL("./oracle.py", import.meta.url));
const pythonPath = `${fail2banRoot}/usr/lib/python3/dist-packages`;

/** Sends one request to oracle.py and returns its parsed answer. */
export function askPython<T>(request: unknown): T {
  const out = execFileSync("python3", [script], {
    input: JSON.stringify(request),
    env: { ...process.env, PYTHONPATH: pythonPath, PYTHONIOENCODING: "utf-8" },
    maxBuffer: 256 * 1024 * 1024,
    encoding: "utf8",
  });
  return JSON.parse(out) as T;
}

/** Python's flags as the oracle takes them. */
export interface OracleFlags {
  readonly ignoreCase?: boolean;
  readonly multiline?: boolean;
  readonly dotAll?: boolean;
  readonly verbose?: boolean;
  readonly ascii?: boolean;
}

/** One match as CPython reports it (UTF-16 positions). */
export interface OracleMatch {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly groups: Record<string, string | null>;
  /** Only when asked for: [start, end) of each named group, null when unset. */
  readonly spans?: Record<string, [number, number] | null>;
}

/** CPython's answer for one pattern: an error, or one result per text. */
export type OracleResult =
  | { readonly error: { readonly message: string; readonly index: number } }
  | { readonly results: ReadonlyArray<OracleMatch | null> };

/** Runs `re.compile(pattern, flags).search(text)` (`.match` when anchored, `.fullmatch` when full) per item. */
export function pythonSearch(
  items: ReadonlyArray<{
    pattern: string;
    flags?: OracleFlags;
    texts: readonly string[];
    anchored?: boolean;
    full?: boolean;
    spans?: boolean;
  }>,
): OracleResult[] {
  return askPython<OracleResult[]>({ kind: "re", items });
}

/** The lines without their timestamps, as fail2ban's date detection (default templates) cuts them out. */
export function withoutDates(lines: readonly string[]): string[] {
  return askPython<string[]>({ kind: "f2b-strip-dates", lines });
}

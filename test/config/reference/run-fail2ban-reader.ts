// Runs fail2ban's own readers (fail2ban-reader.py) on the unpacked reference package and returns what they resolve.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fail2banPython } from "../../support/reference.js";

/** A filter to resolve: its name, arguments, and the jail backend (decides the automatic `logtype`). */
export interface FilterCase {
  readonly name?: string;
  readonly options?: Record<string, string>;
  /** A reference such as `name[k=v]`, parsed by fail2ban itself (instead of name and options). */
  readonly spec?: string;
  readonly backend?: string;
  /** Configuration folder of this case, when not the request's. */
  readonly configDir?: string;
}

/** What fail2ban's FilterReader resolved (or the error it raised). */
export interface ReferenceFilter {
  readonly error?: string;
  /** The file has no [Definition] section (an include fragment such as common.conf): fail2ban resolves nothing. */
  readonly noDefinition?: boolean;
  readonly failregex?: string[];
  readonly ignoreregex?: string[];
  readonly prefregex?: string;
  readonly datepattern?: string;
  readonly maxlines?: number;
  readonly journalmatch?: string[];
  readonly usedns?: string;
  readonly logtype?: string;
  readonly options?: Record<string, string | number | boolean>;
}

/** What fail2ban's JailReader resolved for the asked options of a jail (null when unset). */
export interface ReferenceJail {
  readonly error?: string;
  readonly options?: Record<string, string | null>;
}

/** What fail2ban's ConfigReader gave for a named configuration: its sections and the asked values. */
export interface ReferenceConfig {
  readonly error?: string;
  readonly sections?: string[];
  readonly gets?: [string, string][];
  readonly values?: (string | { error: string })[];
}

/** Everything the reference script answers, each list in the order of the request. */
export interface ReferenceOutput {
  readonly filters: ReferenceFilter[];
  readonly jails: ReferenceJail[];
  readonly configs: ReferenceConfig[];
  /** An action's options as fail2ban's ActionReader sends them to its server (tags of runtime values left). */
  readonly actions: (
    | { name: string; values: Record<string, string | boolean> }
    | { noDefinition: true }
    | { error: string }
  )[];
  readonly specs: ({ name: string; options: Record<string, string> } | { error: string })[];
  readonly splits: ({ items: string[] } | { error: string })[];
  readonly tags: ({ values: Record<string, string> } | { error: string })[];
  readonly replacements: ({ value: string } | { error: string })[];
}

const script = join(dirname(fileURLToPath(import.meta.url)), "fail2ban-reader.py");

/** Runs the reference readers on `configDir`; throws with python's stderr when the script itself fails. */
export function runFail2banReader(request: {
  configDir?: string;
  filters?: readonly FilterCase[];
  jails?: readonly { name: string; options: readonly string[] }[];
  /** `gets` absent: every option of every section ([DEFAULT] first), listed in the answer's `gets`. */
  configs?: readonly { name: string; configDir?: string; gets?: readonly (readonly [string, string])[] }[];
  actions?: readonly {
    name: string;
    jail: string;
    options?: Record<string, string>;
    jailOptions?: Record<string, string>;
  }[];
  specs?: readonly string[];
  splits?: readonly string[];
  tags?: readonly { values: Record<string, string>; conditional?: string; ignore?: readonly string[] }[];
  replacements?: readonly { query: string; values: Record<string, string>; conditional?: string }[];
}): ReferenceOutput {
  const result = spawnSync("python3", [script], {
    input: JSON.stringify(request),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: 240_000,
    env: { ...process.env, PYTHONPATH: dirname(fail2banPython), PYTHONDONTWRITEBYTECODE: "1" },
  });
  if (result.status !== 0) {
    throw new Error(`fail2ban reference reader failed (${result.status ?? result.signal}): ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as ReferenceOutput;
}

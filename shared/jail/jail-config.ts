import type { ConfigValue } from "../config/config-value.js";
import type { OptionSpec } from "../config/option-spec.js";
import type { BanTimeIncrement } from "./ban-time.js";
import type { IgnoreSpec } from "./ignore-list.js";

/** One `logpath` line: a path or glob, read from its start (`head`, the default) or only new lines (`tail`). */
export interface LogPath {
  readonly pattern: string;
  readonly position: "head" | "tail";
}

/** fail2ban's `usedns`: whether host names in logs are resolved to addresses. */
export type UseDns = "yes" | "warn" | "no" | "raw";

/**
 * A jail as configured in `jail.conf`, `jail.d/*.conf`, `jail.local`, `jail.d/*.local` (with `[DEFAULT]` and
 * interpolation applied), validated and typed. Times are seconds; `bantime < 0` is permanent. `options` holds every
 * option of the jail as resolved text (for filters and actions, which read jail options as variables), and
 * `origins` where each came from, so later checks can still name file and line.
 */
export interface JailConfig {
  readonly name: string;
  readonly enabled: boolean;
  /** `filter = name[arg=value, ...]`; undefined when the jail sets no filter. */
  readonly filter?: OptionSpec;
  /** Log files to watch (host mode); globs are expanded by the log reader. */
  readonly logpath: readonly LogPath[];
  /** CloudWatch Logs log groups to subscribe to (cloud mode): cloudjail's option, one name per word or line. */
  readonly loggroup: readonly string[];
  readonly backend: string;
  readonly maxretry: number;
  readonly maxmatches: number;
  readonly findtime: number;
  readonly bantime: number;
  readonly ignoreip: IgnoreSpec;
  readonly ignoreself: boolean;
  /** `ignorecommand`: kept for completeness; running commands is for the host daemon to decide. */
  readonly ignorecommand?: string;
  readonly bantimeIncrement: BanTimeIncrement;
  readonly usedns: UseDns;
  readonly port: string;
  readonly protocol: string;
  /** `action =` parsed: one entry per reference, in order, arguments kept as written (tags unresolved). */
  readonly actions: readonly OptionSpec[];
  readonly options: Readonly<Record<string, string>>;
  readonly origins: Readonly<Record<string, ConfigValue>>;
}

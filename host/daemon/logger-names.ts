// The names the daemon's log lines carry (`cloudjail.actions`, or `fail2ban.actions`). A `recidive` jail finds
// repeat offenders by reading that log, and fail2ban's own recidive filter (in an existing /etc/fail2ban tree)
// only knows `fail2ban.actions`: on a fail2ban tree the daemon therefore logs under fail2ban's names, and
// `lognames = cloudjail|fail2ban` in fail2ban.local chooses explicitly. The bundled recidive filter reads both.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../shared/config/config-loader.js";
import { ConfigError } from "../../shared/errors.js";
import type { DaemonLog } from "./daemon-log.js";

/** The first word of every logger name. */
export type LoggerPrefix = "cloudjail" | "fail2ban";

/**
 * The logger prefix for a configuration tree: `lognames` from fail2ban.conf/.local when set; otherwise `fail2ban`
 * for a fail2ban tree (its filter.d lacks cloudjail-common.conf), `cloudjail` for ours.
 */
export function loggerPrefixFor(configDir: string): LoggerPrefix {
  const hasFile = existsSync(join(configDir, "fail2ban.conf")) || existsSync(join(configDir, "fail2ban.local"));
  const config = hasFile ? loadConfig(configDir, "fail2ban") : undefined;
  const value = config?.hasSection("Definition") ? config.get("Definition", "lognames")?.trim() : undefined;
  if (value !== undefined && value !== "") {
    if (value === "cloudjail" || value === "fail2ban") return value;
    const raw = config?.raw("Definition", "lognames");
    throw new ConfigError(`lognames must be cloudjail or fail2ban, not '${value}'`, {
      file: raw?.file,
      line: raw?.line,
      section: "Definition",
      option: "lognames",
    });
  }
  return existsSync(join(configDir, "filter.d", "cloudjail-common.conf")) ? "cloudjail" : "fail2ban";
}

/** A log that writes `cloudjail.X` loggers as `<prefix>.X`; the level stays the wrapped log's. */
export function withLoggerPrefix(log: DaemonLog, prefix: LoggerPrefix): DaemonLog {
  if (prefix === "cloudjail") return log;
  return {
    get level() {
      return log.level;
    },
    set level(level) {
      log.level = level;
    },
    log: (level, logger, message) => log.log(level, logger.replace(/^cloudjail(?=\.|$)/, prefix), message),
    close: () => log.close(),
  };
}

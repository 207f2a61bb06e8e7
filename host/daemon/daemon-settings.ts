// The daemon's own settings, read from fail2ban.conf / fail2ban.local / fail2ban.d as fail2ban users know them,
// then overridden by command-line options.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../shared/config/config-loader.js";
import { ConfigError } from "../../shared/errors.js";
import { parseTimeSpan } from "../../shared/jail/time-span.js";
import { type Level, parseLevel } from "./daemon-log.js";

/** Resolved daemon settings. */
export interface DaemonSettings {
  readonly configDir: string;
  readonly loglevel: Level;
  /** A file path, STDOUT, STDERR or SYSLOG. */
  readonly logtarget: string;
  /** Where SYSLOG entries go: `auto` (the system's syslog socket) or a socket path. */
  readonly syslogsocket: string;
  readonly socket: string;
  readonly pidfile: string;
  /** SQLite file, or `:memory:` (fail2ban's `None`: nothing kept across restarts). */
  readonly dbfile: string;
  /** Seconds after which ended bans and old failures are purged from the store. */
  readonly dbpurgeage: number;
  /** Seconds between two checks that the firewall holds every ban in force (0: never; see Daemon.repairFirewall). */
  readonly firewallcheckinterval: number;
}

/** What the command line may override. */
export interface SettingOverrides {
  readonly socket?: string;
  readonly dbfile?: string;
  readonly logtarget?: string;
  readonly loglevel?: string;
  readonly pidfile?: string;
}

const DEFAULTS = {
  loglevel: "INFO",
  logtarget: "/var/log/cloudjail.log",
  syslogsocket: "auto",
  socket: "/run/cloudjail/cloudjail.sock",
  pidfile: "/run/cloudjail/cloudjail.pid",
  dbfile: "/var/lib/cloudjail/cloudjail.sqlite3",
  dbpurgeage: "1d",
  firewallcheckinterval: "30s",
} as const;

/** Reads `fail2ban` settings from `configDir` (fail2ban defaults where the file or option is missing). */
export function readDaemonSettings(configDir: string, overrides: SettingOverrides = {}): DaemonSettings {
  const hasFile = existsSync(join(configDir, "fail2ban.conf")) || existsSync(join(configDir, "fail2ban.local"));
  const config = hasFile ? loadConfig(configDir, "fail2ban") : undefined;
  const value = (option: keyof typeof DEFAULTS): string => {
    const fromOverride = (overrides as Record<string, string | undefined>)[option];
    if (fromOverride !== undefined) return fromOverride;
    const fromFile = config?.hasSection("Definition") ? config.get("Definition", option) : undefined;
    return (fromFile ?? DEFAULTS[option]).trim();
  };
  const where = (option: string) => {
    const raw = config?.hasSection("Definition") ? config.raw("Definition", option) : undefined;
    return { file: raw?.file, line: raw?.line, section: "Definition", option };
  };
  const loglevel = parseLevel(value("loglevel"));
  if (!loglevel)
    throw new ConfigError(
      `unknown loglevel '${value("loglevel")}' (CRITICAL ERROR WARNING NOTICE INFO DEBUG)`,
      where("loglevel"),
    );
  let dbpurgeage: number;
  try {
    dbpurgeage = parseTimeSpan(value("dbpurgeage"));
  } catch (error) {
    throw new ConfigError((error as Error).message, where("dbpurgeage"), { cause: error });
  }
  let firewallcheckinterval: number;
  try {
    firewallcheckinterval = parseTimeSpan(value("firewallcheckinterval"));
  } catch (error) {
    throw new ConfigError((error as Error).message, where("firewallcheckinterval"), { cause: error });
  }
  const dbfile = value("dbfile");
  return {
    configDir,
    loglevel,
    logtarget: value("logtarget"),
    syslogsocket: value("syslogsocket"),
    socket: value("socket"),
    pidfile: value("pidfile"),
    dbfile: /^(none|:memory:)$/i.test(dbfile) ? ":memory:" : dbfile,
    dbpurgeage,
    firewallcheckinterval,
  };
}

// A daemon log kept in memory, in fail2ban's line format (time 0, pid 1), for tests that read what the daemon said.
import { type DaemonLog, formatLogLine, type Level } from "../../../host/daemon/daemon-log.js";

/** A DaemonLog at INFO whose formatted lines collect in `lines`. */
export function memoryLog(): DaemonLog & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    level: "INFO" as Level,
    log(level, logger, message) {
      lines.push(formatLogLine(new Date(0), logger, level, message, 1));
    },
    close() {},
  };
}

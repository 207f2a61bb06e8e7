// What the control commands reach besides the daemon: its log (whose level `set loglevel` changes) and settings.
import type { DaemonLog } from "../daemon/daemon-log.js";
import type { DaemonSettings } from "../daemon/daemon-settings.js";

/** The server's log and settings, given by `cloudjail server` to the commands it answers. */
export interface ControlContext {
  readonly log?: DaemonLog;
  readonly settings?: DaemonSettings;
}

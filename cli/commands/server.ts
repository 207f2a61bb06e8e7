// `cloudjail server`: the host-mode daemon in the foreground (systemd runs it so). With --once it replays the
// logs from their start with the log's own clock and exits: the quick start's dry run over a sample log.

import { existsSync } from "node:fs";
import type { Server } from "node:net";
import { join, resolve } from "node:path";
import { answerCommand } from "../../host/control/control-commands.js";
import { socketAlive, startControlServer, stopControlServer } from "../../host/control/control-server.js";
import { checkConfiguration, formatConfigCheck } from "../../host/daemon/config-check.js";
import { Daemon } from "../../host/daemon/daemon.js";
import { type DaemonLog, openDaemonLog } from "../../host/daemon/daemon-log.js";
import { type DaemonSettings, readDaemonSettings, type SettingOverrides } from "../../host/daemon/daemon-settings.js";
import { loggerPrefixFor, withLoggerPrefix } from "../../host/daemon/logger-names.js";
import { describeStartupError } from "../../host/daemon/startup-error.js";
import { CloudjailError } from "../../shared/errors.js";
import type { CommandContext } from "../command-context.js";
import { chooseConfigTree, describeConfigTree, SYSTEM_CONFIG_DIR } from "../config-tree.js";
import { UsageError } from "../usage-error.js";

/** `cloudjail server --help`. */
export const SERVER_USAGE = `usage: cloudjail server [options]

Runs the host-mode daemon in the foreground: follows the logs of the enabled jails, bans with their actions,
answers \`cloudjail client\` on a root-only Unix socket. Settings come from DIR/fail2ban.conf and fail2ban.local
(loglevel, logtarget, socket, pidfile, dbfile, dbpurgeage, lognames); the options below override them.

Defaults: configuration ${SYSTEM_CONFIG_DIR} when it exists, else the bundled config/ (every jail disabled);
socket /run/cloudjail/cloudjail.sock; database /var/lib/cloudjail/cloudjail.sqlite3; log /var/log/cloudjail.log;
pid file /run/cloudjail/cloudjail.pid.

options:
  --config DIR          configuration tree (jail.conf, jail.local, filter.d/, action.d/)
  --socket PATH         control socket
  --db PATH             SQLite store (':memory:' keeps nothing across restarts)
  --pidfile PATH        pid file
  --logtarget T         a file, STDOUT, STDERR or SYSLOG
  --loglevel L          CRITICAL, ERROR, WARNING, NOTICE, INFO or DEBUG
  --dry-run             run no action: print the commands the actions would run
  --jail NAME           run only this jail (repeatable; enabled or not)
  --logpath JAIL=PATH   read PATH for JAIL instead of its logpath (repeatable)
  -t, --test            check the configuration (every enabled jail, as the daemon builds it), print every
                        problem, exit 1 on any; nothing is started
  --once                read the logs from their start with the log's own clock, print the bans, exit
                        (no socket, no pid file; log to STDOUT at NOTICE unless told otherwise)
`;

/** The parsed command line. */
export interface ServerPlan {
  configDir?: string;
  socket?: string;
  db?: string;
  pidfile?: string;
  logtarget?: string;
  loglevel?: string;
  dryRun: boolean;
  once: boolean;
  test: boolean;
  jails: string[];
  logpaths: Record<string, string[]>;
}

/** Parses `cloudjail server` arguments; throws UsageError on a mistake. */
export function parseServerArgs(argv: readonly string[]): ServerPlan | "help" {
  const plan: ServerPlan = { dryRun: false, once: false, test: false, jails: [], logpaths: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`server: ${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case "-h":
      case "--help":
        return "help";
      case "-c":
      case "--config":
        plan.configDir = value();
        break;
      case "-s":
      case "--socket":
        plan.socket = value();
        break;
      case "--db":
        plan.db = value();
        break;
      case "-p":
      case "--pidfile":
        plan.pidfile = value();
        break;
      case "--logtarget":
        plan.logtarget = value();
        break;
      case "--loglevel":
        plan.loglevel = value();
        break;
      case "--dry-run":
        plan.dryRun = true;
        break;
      case "--once":
        plan.once = true;
        break;
      case "-t":
      case "--test":
        plan.test = true;
        break;
      case "--jail":
        plan.jails.push(value());
        break;
      case "--logpath": {
        const text = value();
        const equals = text.indexOf("=");
        if (equals <= 0 || equals === text.length - 1)
          throw new UsageError(`server: --logpath wants JAIL=PATH, not '${text}'`);
        const jail = text.slice(0, equals);
        plan.logpaths[jail] = [...(plan.logpaths[jail] ?? []), resolve(text.slice(equals + 1))];
        break;
      }
      case "-f":
      case "-x":
        // fail2ban-server's foreground and force flags: always so here.
        break;
      default:
        throw new UsageError(`server: unknown option '${arg}'\n\n${SERVER_USAGE}`);
    }
  }
  return plan;
}

/** Runs the daemon until it is stopped (signal or `cloudjail client stop`), or, with --once, until the logs end. */
export async function run(argv: string[], context: CommandContext): Promise<number> {
  const plan = parseServerArgs(argv);
  if (plan === "help") {
    process.stdout.write(SERVER_USAGE);
    return 0;
  }
  const tree = chooseConfigTree(plan.configDir, context.bundledConfigDir);
  const configDir = tree.dir;
  const overrides = {
    ...(plan.socket !== undefined ? { socket: plan.socket } : {}),
    ...(plan.db !== undefined ? { dbfile: plan.db } : plan.once ? { dbfile: ":memory:" } : {}),
    ...(plan.pidfile !== undefined ? { pidfile: plan.pidfile } : {}),
    ...(plan.logtarget !== undefined ? { logtarget: plan.logtarget } : plan.once ? { logtarget: "STDOUT" } : {}),
    ...(plan.loglevel !== undefined ? { loglevel: plan.loglevel } : plan.once ? { loglevel: "NOTICE" } : {}),
  };
  if (plan.test) {
    const check = await checkConfiguration(configDir, overrides, {
      ...(plan.jails.length > 0 ? { only: plan.jails } : {}),
      ...(Object.keys(plan.logpaths).length > 0 ? { logpaths: plan.logpaths } : {}),
    });
    process.stderr.write(`cloudjail server: ${describeConfigTree(tree)}\n`);
    process.stdout.write(formatConfigCheck(check));
    return check.errors.length === 0 ? 0 : 1;
  }
  const settings = readSettingsLoudly(configDir, overrides);
  const log: DaemonLog = withLoggerPrefix(
    openDaemonLog(settings.logtarget, settings.loglevel, { syslogSocket: settings.syslogsocket }),
    loggerPrefixFor(configDir),
  );
  // Which tree is read, on the terminal too: the log may be a file the user is not looking at.
  if (!plan.once) process.stderr.write(`cloudjail server: ${describeConfigTree(tree)}\n`);
  // Bundled beside cli.js; run from sources (tests) it is absent and filters run in the main thread.
  const workerPath = join(context.distDir, "filter-worker.js");
  const filterThreads = filterThreadsFromEnv(process.env);
  const daemon = new Daemon({
    settings,
    log,
    dryRun: plan.dryRun,
    once: plan.once,
    ...(existsSync(workerPath) ? { filterWorkerPath: workerPath } : {}),
    ...(filterThreads !== undefined ? { filterThreads } : {}),
    ...(plan.jails.length > 0 ? { jails: plan.jails } : {}),
    ...(Object.keys(plan.logpaths).length > 0 ? { logpaths: plan.logpaths } : {}),
  });
  // another daemon on this socket: refuse before this one touches anything (its actions would reset the firewall)
  if (!plan.once && (await socketAlive(settings.socket))) {
    const refused = `another server answers on ${settings.socket}: stop it first (nothing was changed)`;
    if (settings.logtarget.toUpperCase() !== "STDERR") log.log("ERROR", "cloudjail.server", refused);
    await log.close();
    throw new CloudjailError(refused);
  }
  try {
    await daemon.start();
    if (daemon.jailNames().length === 0) {
      // Running with nothing to watch protects nothing: say it loudly (log and terminal), go on for `start JAIL`.
      const message = `No jail is enabled in ${configDir}: nothing is watched, nothing will be banned. Set enabled = true for a jail in jail.local (or jail.d/*.local), then 'cloudjail client reload'.`;
      log.log("ERROR", "cloudjail.server", message);
      process.stderr.write(`cloudjail server: ERROR ${message}\n`);
    }
    if (plan.once) {
      await daemon.runOnce();
      const summary = await onceSummary(daemon);
      await daemon.stop();
      process.stdout.write(summary);
      return 0;
    }
    const server: Server = await startControlServer(settings.socket, (words) =>
      answerCommand(daemon, words, { log, settings }),
    );
    const onSignal = () => void daemon.stop();
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    log.log("INFO", "cloudjail.server", `Server ready (socket ${settings.socket})`);
    await daemon.whenStopped();
    await stopControlServer(server, settings.socket);
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    return 0;
  } catch (error) {
    await daemon.stop().catch(() => {});
    // expected conditions (not root, a path that cannot be written, a missing command) become one sentence
    const reported = describeStartupError(error);
    // the daemon's own log (a file, syslog under systemd) gets it too, not only stderr
    if (settings.logtarget.toUpperCase() !== "STDERR") log.log("ERROR", "cloudjail.server", reported.message);
    throw reported;
  } finally {
    await log.close();
  }
}

/**
 * The daemon settings; a mistake in them (fail2ban.local's `loglevel = VERBOSE`) is also written to the log target
 * when that one can still be read, so that it reaches the daemon's log and not only stderr.
 */
function readSettingsLoudly(configDir: string, overrides: SettingOverrides): DaemonSettings {
  try {
    return readDaemonSettings(configDir, overrides);
  } catch (error) {
    try {
      const fallback = readDaemonSettings(configDir, { ...overrides, loglevel: "ERROR" });
      if (fallback.logtarget.toUpperCase() !== "STDERR") {
        const log = openDaemonLog(fallback.logtarget, "ERROR", { syslogSocket: fallback.syslogsocket });
        log.log("ERROR", "cloudjail.server", `cannot start: ${(error as Error).message}`);
        void log.close();
      }
    } catch {
      // the log target itself is what cannot be read: stderr only
    }
    throw error;
  }
}

async function onceSummary(daemon: Daemon): Promise<string> {
  const lines = ["", "Bans in force at the end of the logs:"];
  let total = 0;
  for (const jail of daemon.jailNames()) {
    const banned = await daemon.bannedIps(jail);
    total += banned.length;
    lines.push(`  ${jail}: ${banned.length ? banned.join(" ") : "none"}`);
  }
  lines.push(`${total} address${total === 1 ? "" : "es"} banned.`, "");
  return lines.join("\n");
}

/**
 * CLOUDJAIL_FILTER_THREADS: the threads the jails' filters share (default: the machine's cores, at most 4); a value
 * that is not a whole number from 1 to 64 is refused, naming the variable.
 */
export function filterThreadsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.CLOUDJAIL_FILTER_THREADS;
  if (text === undefined || text === "") return undefined;
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new CloudjailError(`CLOUDJAIL_FILTER_THREADS must be a whole number from 1 to 64, not '${text}'`);
  }
  return threads;
}

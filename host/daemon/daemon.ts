// The host-mode daemon: jails from a fail2ban-style tree, log sources, the jail logic on the SQLite store, firewall
// actions, ban expiry, and the control socket. Restarting it restores the bans still in force from the store.
import { lookup } from "node:dns/promises";
import { mkdirSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { dirname } from "node:path";
import { CloudjailError } from "../../shared/errors.js";
import { FilterThreadPool } from "../../shared/filter/watchdog/filter-thread-pool.js";
import { IgnoreList, parseIgnoreIp, resolveIgnoreNames } from "../../shared/jail/ignore-list.js";
import type { JailPolicy } from "../../shared/jail/jail-policy.js";
import { type ActiveBan, JailRunner } from "../../shared/jail/jail-runner.js";
import { banInForce } from "../../shared/store/store.js";
import { Action } from "../actions/action.js";
import { type CommandRunner, DryRunCommandRunner, ShellCommandRunner } from "../actions/command-runner.js";
import { oneLineScript } from "../actions/one-line-script.js";
import { CommandError, EXIT_JAIL_FAILED } from "../control/control-protocol.js";
import { FileTailer, LineTooLongError, RotationGapError, type StartAt } from "../sources/file-tailer.js";
import { type DaemonLog, LEVELS } from "./daemon-log.js";
import type { DaemonSettings } from "./daemon-settings.js";
import { acquireInstanceLock, type InstanceLock } from "./instance-lock.js";
import { buildJails, type JailBuild } from "./jail-build.js";
import type { HostJailConfig } from "./jail-config.js";
import { JailEnforcer } from "./jail-enforcer.js";
import { JailPipeline, type PipelineStats, ticketOf } from "./jail-pipeline.js";
import type { NotificationRetry } from "./notification-queue.js";
import { ResilientStore, type StoreRetry } from "./resilient-store.js";
import { notifyServiceStatus } from "./service-status.js";
import { type JournalProbes, logFileAppeared, SOURCE_CHECK_INTERVAL_MS, sourceProblem } from "./source-health.js";
import { WriteBehindStore } from "./write-behind-store.js";

/** A reload left some jails on their previous configuration (or down); the message gives every reason. */
export class ReloadError extends CloudjailError {
  override name = "ReloadError";
}

/** How the daemon runs. */
export interface DaemonOptions {
  readonly settings: DaemonSettings;
  readonly log: DaemonLog;
  /** Run no action: print the scripts the configured actions would run. */
  readonly dryRun?: boolean;
  /** Receives the dry-run scripts (default: the log at NOTICE). */
  readonly printDryRun?: (jail: string, text: string) => void;
  /** argv put before every action script, e.g. `ip netns exec NS` (tests run the firewall in a namespace). */
  readonly commandPrefix?: readonly string[];
  /**
   * Replay: read every log from its beginning with the log's own time as the clock, handle it all, and stop
   * (the quick start). Otherwise a logpath marked `tail` is followed from its end, any other from `findtime` ago.
   */
  readonly once?: boolean;
  /** Replaces the logpath of jails: `{ sshd: ["/tmp/auth.log"] }`. */
  readonly logpaths?: Readonly<Record<string, readonly string[]>>;
  /** Only these jails (enabled or not); default every enabled jail. */
  readonly jails?: readonly string[];
  readonly pollIntervalMs?: number;
  /** Most bytes read from one log file in one pass (default: the tailer's, 16 MiB); tests make backlogs with less. */
  readonly readPassBytes?: number;
  /** dist/filter-worker.js: filters run in watched worker threads so a crafted line cannot stall the daemon. */
  readonly filterWorkerPath?: string;
  /** Worker threads the jails' filters share, at most (default: the cores, at most 4; see FilterThreadPool). */
  readonly filterThreads?: number;
  /** The journalctl executable for `backend = systemd` jails (default: journalctl from PATH). */
  readonly journalctl?: string;
  /** Runs the action scripts of a jail (default: /bin/sh, or the dry-run printer); benchmarks wrap it. */
  readonly commandRunner?: (jail: string) => CommandRunner;
  /** Action timing, mostly for tests. */
  readonly actionAttempts?: number;
  readonly actionBackoffMs?: number;
  /** How often jails without a readable log source are checked and reported again (default 5 minutes). */
  readonly sourceCheckIntervalMs?: number;
  /** Sends the daemon's state to systemd (default: systemd-notify when NOTIFY_SOCKET is set). */
  readonly notifyStatus?: (text: string) => Promise<string | undefined>;
  /** Period of the firewall check (default: the `firewallcheckinterval` setting); tests use a short one. */
  readonly firewallCheckIntervalMs?: number;
  /** Waiting out a locked database (tests shorten it). */
  readonly storeRetry?: StoreRetry;
  /** How long a jail holding a failure waits before it tries a locked database again (default 5 s). */
  readonly storeHoldMs?: number;
  /** Retries of notification actions (mail): first delay and tries (default 10 s doubling, 4 tries). */
  readonly notificationRetry?: NotificationRetry;
}

/** A running (or stopped) daemon. */
export class Daemon {
  private store: WriteBehindStore | undefined;
  private runner: JailRunner | undefined;
  private readonly tailer: FileTailer;
  private readonly pipelines = new Map<string, JailPipeline>();
  /** The watched worker threads the jails' filters share (none when filters run inline). */
  private readonly filterPool: FilterThreadPool | undefined;
  /** Ignore lists changed at run time (`set JAIL addignoreip/delignoreip`), whole, until the next reload. */
  private readonly ignoreOverrides = new Map<string, string[]>();
  /** Policy values changed at run time (`set JAIL bantime 600` ...), until the next reload. */
  private readonly policyOverrides = new Map<string, PolicyChange>();
  private expiryTimer: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private repairTimer: NodeJS.Timeout | undefined;
  private repairing: Promise<number> | undefined;
  private logClock = 0;
  private selfAddresses: string[] = [];
  private resolvedNames = new Map<string, readonly string[]>();
  private stopping: Promise<void> | undefined;
  private expiring: Promise<void> = Promise.resolve();
  private readonly stopped: Promise<void>;
  private resolveStopped!: () => void;
  /** Jails that could not be built (not running, or running their previous configuration), with the reason. */
  private readonly failedJails = new Map<string, string>();
  /** Running jails that can read no log source, with the reason. */
  private readonly sourceProblems = new Map<string, string>();
  private locks: InstanceLock[] = [];
  private sourceTimer: NodeJS.Timeout | undefined;
  private checkingSources: Promise<void> = Promise.resolve();
  private lastServiceStatus = "";

  constructor(private readonly options: DaemonOptions) {
    this.filterPool = options.filterWorkerPath
      ? new FilterThreadPool({ workerPath: options.filterWorkerPath }, options.filterThreads)
      : undefined;
    this.tailer = new FileTailer({
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      ...(options.readPassBytes !== undefined ? { passBudget: options.readPassBytes } : {}),
      watch: !options.once,
      onError: (error, path) =>
        this.log(
          "ERROR",
          "cloudjail.filter",
          error instanceof LineTooLongError || error instanceof RotationGapError
            ? `${path}: ${error.message}`
            : `Unable to read ${path}: ${error.message}`,
        ),
    });
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
  }

  /** Reads the configuration, restores bans, starts every jail; throws ConfigError before touching the firewall. */
  async start(): Promise<void> {
    const { settings } = this.options;
    this.log("INFO", "cloudjail.server", `Starting cloudjail (config ${settings.configDir}, db ${settings.dbfile})`);
    // Before anything else: a second server must change nothing, in the firewall least of all.
    this.lockInstance();
    this.selfAddresses = Object.values(networkInterfaces())
      .flat()
      .map((info) => info?.address)
      .filter((address): address is string => address !== undefined);
    let build = this.readConfigs();
    const names = [...new Set(build.configs.flatMap((config) => config.jail.ignoreip.names))];
    if (names.length > 0) {
      // ignoreip host names are resolved once at start (and reload), as fail2ban's DNS cache does.
      this.resolvedNames = await resolveIgnoreNames(names, async (name) =>
        (await lookup(name, { all: true })).map((entry) => entry.address),
      );
      build = this.readConfigs();
    }
    for (const { jail, reason } of build.failures) {
      this.failedJails.set(jail, reason);
      this.log("ERROR", "cloudjail.jail", `Jail '${jail}' not started: ${reason}`);
    }
    if (settings.dbfile !== ":memory:") mkdirSync(dirname(settings.dbfile), { recursive: true, mode: 0o700 });
    const database = await ResilientStore.open(settings.dbfile, {
      ...this.options.storeRetry,
      error: (message) => this.log("ERROR", "cloudjail.database", message),
      onReplaced: () => this.recordFirewallBans(),
    });
    // the daemon is the single writer of its database (instance lock): it reads entries once and writes in batches
    this.store = new WriteBehindStore(database, {
      error: (message) => this.log("ERROR", "cloudjail.database", message),
    });
    this.runner = this.makeRunner(build.configs);
    for (const config of build.configs) await this.startJailAlone(config);
    if (this.pipelines.size === 0) {
      this.log("WARNING", "cloudjail.server", "No jail is running: nothing is protected (enable jails in jail.local)");
    }
    await this.tailer.start();
    await this.checkSources();
    if (this.options.once) return;
    this.sourceTimer = setInterval(
      () => void this.checkSources(),
      this.options.sourceCheckIntervalMs ?? SOURCE_CHECK_INTERVAL_MS,
    );
    this.expiryTimer = setInterval(() => void this.expire(this.now()), 1000);
    this.purgeTimer = setInterval(() => void this.purge(), 3600_000);
    this.purgeTimer.unref();
    const checkMs = this.options.firewallCheckIntervalMs ?? settings.firewallcheckinterval * 1000;
    if (checkMs > 0) {
      this.repairTimer = setInterval(() => void this.repairFirewall(), checkMs);
      this.repairTimer.unref();
    }
    await this.purge();
  }

  /**
   * Puts back into the firewall every ban in force that it lost (a set flushed, the table deleted, a firewall
   * reload): every `firewallcheckinterval`, after a reload, and when an action's check fails. One check runs at a
   * time; returns how many bans were restored.
   */
  repairFirewall(jail?: string): Promise<number> {
    if (this.repairing) return this.repairing;
    const names = jail === undefined ? this.jailNames() : [this.pipeline(jail).config.name];
    this.repairing = (async () => {
      let restored = 0;
      for (const name of names) {
        const pipeline = this.pipelines.get(name);
        if (!pipeline) continue;
        try {
          restored += await pipeline.enforcer.repair();
        } catch (error) {
          this.log("ERROR", "cloudjail.actions", `[${name}] Firewall check failed: ${(error as Error).message}`);
        }
      }
      return restored;
    })().finally(() => {
      this.repairing = undefined;
    });
    return this.repairing;
  }

  /** In replay mode: reads every log to its end, lets the actions finish, then stops. */
  async runOnce(): Promise<void> {
    for (;;) {
      const before = this.progressMark();
      await this.tailer.poll();
      for (const pipeline of this.pipelines.values()) await pipeline.idle();
      if (this.progressMark() === before) break;
    }
    for (const pipeline of this.pipelines.values()) await pipeline.enforcer.settled();
  }

  /** Resolves when the daemon has stopped (by `stop`, a signal or the client). */
  whenStopped(): Promise<void> {
    return this.stopped;
  }

  /** Stops reading, removes the bans from the firewall (they stay in the store and come back at the next start). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log("INFO", "cloudjail.server", "Shutdown in progress...");
      if (this.expiryTimer) clearInterval(this.expiryTimer);
      if (this.purgeTimer) clearInterval(this.purgeTimer);
      if (this.sourceTimer) clearInterval(this.sourceTimer);
      await this.checkingSources;
      if (this.repairTimer) clearInterval(this.repairTimer);
      // stop means stop: what is read and not handled is dropped now (still in the logs for the next start)
      for (const pipeline of this.pipelines.values()) {
        const left = pipeline.halt();
        if (left > 0) {
          this.log("INFO", "cloudjail.server", `[${pipeline.config.name}] ${left} lines read and not handled, left`);
        }
      }
      await this.tailer.stop();
      for (const name of [...this.pipelines.keys()]) await this.stopJail(name);
      await this.filterPool?.close();
      await this.expiring;
      await this.store?.close();
      for (const lock of this.locks.splice(0)) lock.release();
      this.log("INFO", "cloudjail.server", "Exiting cloudjail");
      this.resolveStopped();
    })();
    return this.stopping;
  }

  /** The names of the running jails, in start order. */
  jailNames(): string[] {
    return [...this.pipelines.keys()];
  }

  /**
   * The running pipeline of `jail`; throws a CommandError with the reason (exit status EXIT_JAIL_FAILED) for a jail
   * that failed to start, a CloudjailError naming the running ones otherwise.
   */
  pipeline(jail: string): JailPipeline {
    const pipeline = this.pipelines.get(jail);
    const failed = this.failedJails.get(jail);
    if (!pipeline && failed !== undefined) {
      throw new CommandError(
        `Jail '${jail}' failed: it is not running, nothing of it protects: ${failed} (fix it, then run ` +
          `'cloudjail client reload ${jail}')`,
        EXIT_JAIL_FAILED,
      );
    }
    if (!pipeline) {
      throw new CloudjailError(
        `Sorry but the jail '${jail}' does not exist (running: ${this.jailNames().join(", ") || "none"})`,
      );
    }
    return pipeline;
  }

  /** Bans in force now in `jail` (addresses), from the store. */
  async bannedIps(jail: string): Promise<string[]> {
    const bans = await this.runner!.activeBans(this.now(), jail);
    return bans.map((ban) => ban.ip);
  }

  /** Bans `ip` in `jail` by hand; returns 1 when a new ban was made, 0 when already banned or ignored. */
  async banIp(jail: string, ip: string): Promise<number> {
    return this.banIps(jail, [ip]);
  }

  /** Bans addresses by hand, enforced in one batch per action; returns how many new bans were made. */
  async banIps(jail: string, ips: readonly string[]): Promise<number> {
    const pipeline = this.pipeline(jail);
    const tickets = [];
    for (const ip of ips) {
      const ban = await this.runner!.ban(jail, ip, this.now());
      if (!ban) continue;
      pipeline.stats.totalBanned++;
      this.log("NOTICE", "cloudjail.actions", `[${jail}] Ban ${ban.ip}`);
      tickets.push(ticketOf(ban));
    }
    if (tickets.length > 0) await pipeline.enforcer.ban(tickets);
    return tickets.length;
  }

  /** Lifts the ban of `ip` in `jail` (every jail when undefined); returns how many bans were lifted. */
  async unbanIp(ip: string, jail?: string): Promise<number> {
    return this.unbanIps([ip], jail);
  }

  /** Lifts bans in `jail` (every jail when undefined), enforced in one batch per action; returns how many. */
  async unbanIps(ips: readonly string[], jail?: string): Promise<number> {
    const jails = jail === undefined ? this.jailNames() : [this.pipeline(jail).config.name];
    let count = 0;
    for (const name of jails) {
      const lifted: string[] = [];
      for (const ip of ips) {
        const unban = await this.runner!.unban(name, ip, this.now());
        if (!unban) continue;
        this.log("NOTICE", "cloudjail.actions", `[${name}] Unban ${unban.ip}`);
        lifted.push(unban.ip);
      }
      if (lifted.length > 0) await this.pipeline(name).enforcer.unban(lifted);
      count += lifted.length;
    }
    return count;
  }

  /** Lifts every ban of every jail; returns how many. */
  async unbanAll(): Promise<number> {
    let count = 0;
    for (const jail of this.jailNames()) count += await this.unbanIps(await this.bannedIps(jail), jail);
    return count;
  }

  /** Adds an address or network to a jail's ignore list (until the next reload); returns the list. */
  addIgnoreIp(jail: string, entry: string): string[] {
    const pipeline = this.pipeline(jail);
    parseIgnoreIp(entry); // throws a clear error for a bad entry
    const current = this.ignoreList(pipeline.config);
    if (!current.includes(entry)) this.setIgnoreList(jail, [...current, entry]);
    return this.ignoreList(pipeline.config);
  }

  /** Removes an entry from a jail's ignore list, configured or added (until the next reload); returns the list. */
  delIgnoreIp(jail: string, entry: string): string[] {
    const pipeline = this.pipeline(jail);
    const current = this.ignoreList(pipeline.config);
    if (!current.includes(entry)) {
      throw new CloudjailError(`${entry} is not in the ignore list of ${jail} (${current.join(" ") || "empty"})`);
    }
    this.setIgnoreList(
      jail,
      current.filter((kept) => kept !== entry),
    );
    return this.ignoreList(pipeline.config);
  }

  /** A jail's ignore entries: as configured, or as changed at run time. */
  ignoreList(config: HostJailConfig): string[] {
    return (
      this.ignoreOverrides.get(config.name) ?? (config.jail.options["ignoreip"] ?? "").split(/[\s,]+/).filter(Boolean)
    );
  }

  /** Whether `ip` is in the ignore list of `jail` (ignoreip, ignoreself), as the jail logic sees it now. */
  isIgnored(jail: string, ip: string): boolean {
    return this.runner!.policy(this.pipeline(jail).config.name).ignore.contains(ip);
  }

  /** The policy `jail` runs with now: the configured one with the run-time changes. */
  jailPolicy(jail: string): JailPolicy {
    return this.runner!.policy(this.pipeline(jail).config.name);
  }

  /** Changes ban time, find time, max retry or max matches of a running jail until the next reload. */
  setJailPolicy(jail: string, change: PolicyChange): JailPolicy {
    this.pipeline(jail);
    this.policyOverrides.set(jail, { ...this.policyOverrides.get(jail), ...change });
    this.runner = this.makeRunner([...this.pipelines.values()].map((running) => running.config));
    return this.jailPolicy(jail);
  }

  /** Bans in force now (every jail, or `jail`), with their times, from the store. */
  async activeBans(jail?: string): Promise<ActiveBan[]> {
    if (jail !== undefined) this.pipeline(jail);
    return this.runner!.activeBans(this.now(), jail);
  }

  /** Stops one running jail (`cloudjail client stop JAIL`): its bans leave the firewall, stay in the store. */
  async stopRunningJail(jail: string): Promise<void> {
    this.pipeline(jail);
    await this.stopJail(jail);
  }

  private setIgnoreList(jail: string, entries: string[]): void {
    this.ignoreOverrides.set(jail, entries);
    this.runner = this.makeRunner([...this.pipelines.values()].map((running) => running.config));
  }

  /**
   * Re-reads the configuration and reloads every jail, or one, like fail2ban's reload. A jail whose actions and
   * options are unchanged keeps its actions running: its bans stay in the firewall throughout, only the filter, the
   * log sources and the counting are replaced (editing a filter, or a plain reload, opens no gap). Otherwise its
   * actions are stopped and started again and its bans restored from the store; `restart` forces that for every
   * jail reloaded (fail2ban-client's `reload --restart`). Jails gone from the configuration stop, new ones start.
   */
  async reload(jail?: string, options: { readonly restart?: boolean } = {}): Promise<void> {
    if (this.stopping) throw new CloudjailError("the server is stopping: nothing reloaded");
    // a reload reads the database again: rows changed by hand meanwhile are seen
    this.store?.forget();
    this.log("INFO", "cloudjail.server", `Reload ${jail ?? "all jails"}${options.restart ? " (restart)" : ""}`);
    let build: JailBuild;
    try {
      build = this.readConfigs(jail === undefined ? undefined : [jail]);
    } catch (error) {
      // the tree itself does not read (a syntax error in jail.local): nothing is touched
      const reason = (error as Error).message;
      this.log(
        "ERROR",
        "cloudjail.jail",
        `Reload failed, every jail keeps running its previous configuration: ${reason}`,
      );
      throw new ReloadError(`nothing reloaded: ${reason}`, { cause: error });
    }
    const { configs, failures } = build;
    // A jail whose new configuration does not build keeps running as it was (or stays down): never a dead jail.
    const broken = new Set(failures.map((failure) => failure.jail));
    if (jail === undefined) this.failedJails.clear();
    for (const { jail: name, reason } of failures) {
      const running = this.pipelines.has(name);
      const outcome = running ? "the jail keeps running its previous configuration" : "the jail is not running";
      this.failedJails.set(name, running ? `reload failed, previous configuration kept: ${reason}` : reason);
      this.log("ERROR", "cloudjail.jail", `Reload of jail '${name}' failed, ${outcome}: ${reason}`);
    }
    const names = (jail === undefined ? this.jailNames() : [jail]).filter((name) => !broken.has(name));
    const kept = new Map<string, JailEnforcer>();
    const previousStats = new Map<string, PipelineStats>();
    for (const name of names) {
      const running = this.pipelines.get(name);
      const next = configs.find((config) => config.name === name);
      const keep = running !== undefined && next !== undefined && !options.restart && sameActions(running.config, next);
      if (keep) kept.set(name, running.enforcer);
      if (running) previousStats.set(name, running.stats);
      await this.stopJail(name, { keepActions: keep });
    }
    if (jail === undefined) {
      this.ignoreOverrides.clear();
      this.policyOverrides.clear();
    } else {
      this.ignoreOverrides.delete(jail);
      this.policyOverrides.delete(jail);
    }
    const all = new Map([...this.pipelines.values()].map((pipeline) => [pipeline.config.name, pipeline.config]));
    for (const config of configs) all.set(config.name, config);
    this.runner = this.makeRunner([...all.values()]);
    const notStarted: { jail: string; reason: string }[] = [];
    for (const config of configs) {
      this.failedJails.delete(config.name);
      this.sourceProblems.delete(config.name);
      const reason = await this.startJailAlone(config, kept.get(config.name), previousStats.get(config.name));
      if (reason !== undefined) notStarted.push({ jail: config.name, reason });
    }
    // a reload is also when users expect the firewall to be put right (after a firewall service reload, say)
    for (const [name, enforcer] of kept) {
      if (this.pipelines.get(name)?.enforcer === enforcer) await enforcer.repair();
    }
    await this.tailer.poll();
    await this.checkSources();
    if (failures.length > 0 || notStarted.length > 0) {
      throw new ReloadError(
        [...failures, ...notStarted]
          .map(({ jail: name, reason }) => `jail '${name}' not reloaded: ${reason}`)
          .join("; "),
      );
    }
  }

  /** Jails that failed to build, with the reason (those still running their previous configuration included). */
  failedJailReasons(): ReadonlyMap<string, string> {
    return this.failedJails;
  }

  /** What keeps a jail from protecting fully, as sentences for `status` (empty when it is fine). */
  jailProblems(jail: string): string[] {
    const problems: string[] = [];
    const failed = this.failedJails.get(jail);
    if (failed !== undefined) problems.push(failed);
    const source = this.sourceProblems.get(jail);
    if (source !== undefined) problems.push(`no readable log source: ${source}`);
    const filterError = this.pipelines.get(jail)?.filterError;
    if (filterError !== undefined) problems.push(filterError);
    const isolation = this.pipelines.get(jail)?.filterIsolation;
    if (isolation !== undefined) problems.push(isolation);
    const lag = this.pipelines.get(jail)?.lagProblem();
    if (lag !== undefined) problems.push(lag);
    const unwritten = this.store?.failing;
    if (unwritten !== undefined) {
      problems.push(
        `${this.store!.pending} changes to failures and bans not written to the database yet: ${unwritten}`,
      );
    }
    return problems;
  }

  /** One line on the daemon's state, for systemd's STATUS and the log: running, or degraded and why. */
  serviceStatus(): string {
    const failing = [...new Set([...this.failedJails.keys(), ...this.sourceProblems.keys()])];
    for (const [name, pipeline] of this.pipelines) if (pipeline.filterError !== undefined) failing.push(name);
    const running = this.pipelines.size;
    if (running === 0 && failing.length === 0) return "degraded: no jail running, nothing is protected";
    if (failing.length === 0) return `running: ${running} jail${running === 1 ? "" : "s"}`;
    const details = [...new Set(failing)].map((name) => `${name}: ${this.jailProblems(name).join("; ")}`);
    return `degraded: ${running} jail${running === 1 ? "" : "s"} running; ${details.join(" | ")}`;
  }

  /**
   * Checks that every running jail can read a log source; logs a WARNING for each that cannot (again at every check
   * while it lasts), an INFO when it can again, and tells systemd the daemon's state when it changed.
   */
  checkSources(): Promise<void> {
    this.checkingSources = this.checkingSources.then(async () => {
      const every = Math.round((this.options.sourceCheckIntervalMs ?? SOURCE_CHECK_INTERVAL_MS) / 1000);
      const probes: JournalProbes = new Map();
      for (const name of [...this.sourceProblems.keys()])
        if (!this.pipelines.has(name)) this.sourceProblems.delete(name);
      for (const [name, pipeline] of [...this.pipelines]) {
        if (logFileAppeared(pipeline.config) && !this.options.once) {
          // backend = auto read the journal for want of the file: the file is there now, the jail moves to it
          // (through a reload of the jail, after this check: a reload runs a check itself)
          this.log(
            "INFO",
            "cloudjail.filter",
            `[${name}] a logpath file appeared: the jail moves from the journal to it`,
          );
          setImmediate(() => {
            if (this.stopping) return;
            this.reload(name).catch((error: Error) =>
              this.log("ERROR", "cloudjail.jail", `[${name}] could not move to the log file: ${error.message}`),
            );
          });
          continue;
        }
        const problem = await sourceProblem(pipeline.config, this.options.journalctl, probes);
        if (this.pipelines.get(name) !== pipeline) continue; // reloaded meanwhile
        if (problem !== undefined) {
          this.sourceProblems.set(name, problem);
          this.log(
            "WARNING",
            "cloudjail.filter",
            `[${name}] No readable log source, the jail bans nobody: ${problem} (checked again every ${every} s)`,
          );
        } else if (this.sourceProblems.delete(name)) {
          this.log("INFO", "cloudjail.filter", `[${name}] Log source readable again`);
        }
      }
      await this.reportServiceStatus();
    });
    return this.checkingSources;
  }

  private async reportServiceStatus(): Promise<void> {
    const status = this.serviceStatus();
    if (status === this.lastServiceStatus) return;
    this.lastServiceStatus = status;
    const notify = this.options.notifyStatus ?? ((text: string) => notifyServiceStatus(text));
    const failed = await notify(status);
    if (failed !== undefined) this.log("WARNING", "cloudjail.server", `could not tell systemd the status: ${failed}`);
  }

  private lockInstance(): void {
    if (this.options.once) return;
    const { pidfile, dbfile } = this.options.settings;
    this.locks.push(acquireInstanceLock(pidfile, "the pid file", { pidOnly: true }));
    if (dbfile !== ":memory:") this.locks.push(acquireInstanceLock(`${dbfile}.lock`, "the database"));
  }

  /** The daemon clock, epoch seconds: the wall clock, or in a replay the latest log time seen. */
  now(): number {
    return this.options.once ? this.logClock : Date.now() / 1000;
  }

  /** Waits until every line read so far has been handled (tests and benchmarks). */
  async idle(): Promise<void> {
    await this.tailer.poll();
    for (const pipeline of this.pipelines.values()) await pipeline.idle();
  }

  /**
   * Lines the jails handled plus bytes the tailer read: a pass that moves neither has reached the logs' end. (Lines
   * alone stop too early at a line longer than one read pass.)
   */
  private progressMark(): number {
    let mark = 0;
    for (const pipeline of this.pipelines.values()) mark += pipeline.stats.lines;
    for (const stats of this.tailer.stats().values()) mark += stats.bytesRead;
    return mark;
  }

  private readConfigs(only?: readonly string[]): JailBuild {
    const wanted = only ?? this.options.jails;
    return buildJails(this.options.settings.configDir, {
      ...(wanted ? { only: wanted } : {}),
      sources: { selfAddresses: this.selfAddresses, resolvedNames: this.resolvedNames },
      ...(this.options.logpaths ? { logpaths: this.options.logpaths } : {}),
    });
  }

  private makeRunner(configs: readonly HostJailConfig[]): JailRunner {
    const jails = configs.map((config): JailPolicy => {
      const changed = this.policyOverrides.get(config.name);
      const policy = changed ? { ...config.policy, ...changed } : config.policy;
      const entries = this.ignoreOverrides.get(config.name);
      if (!entries) return policy;
      const ignore = new IgnoreList(parseIgnoreIp(entries.join(" ")), {
        resolvedNames: this.resolvedNames,
        selfAddresses: config.jail.ignoreself ? this.selfAddresses : [],
      });
      return { ...policy, ignore };
    });
    return new JailRunner({ store: this.store!, jails, purgeAge: this.options.settings.dbpurgeage });
  }

  private commandRunner(jail: string): CommandRunner {
    if (this.options.commandRunner) return this.options.commandRunner(jail);
    if (!this.options.dryRun) return new ShellCommandRunner(this.options.commandPrefix ?? []);
    return new DryRunCommandRunner(({ script, env }) => {
      const values = Object.entries(env).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
      const oneLine = oneLineScript(script);
      const text = `${oneLine}${values.length ? `   [${values.join(" ")}]` : ""}`;
      if (this.options.printDryRun) this.options.printDryRun(jail, text);
      else this.log("NOTICE", "cloudjail.actions", `[${jail}] dry-run: ${text}`);
    });
  }

  /**
   * Starts a jail so that it fails alone: an unexpected error (its bans in force cannot be read from the database,
   * its actions cannot start) is reported at ERROR, the jail is listed as failed in `status` and to systemd, and
   * the other jails start and protect. Returns the reason when the jail did not start.
   */
  private async startJailAlone(
    config: HostJailConfig,
    kept?: JailEnforcer,
    previous?: PipelineStats,
  ): Promise<string | undefined> {
    try {
      await this.startJail(config, kept, previous);
      return undefined;
    } catch (error) {
      const reason = `could not start: ${(error as Error).message}`;
      this.failedJails.set(config.name, reason);
      this.log("ERROR", "cloudjail.jail", `Jail '${config.name}' not started: ${reason}`);
      // half started: whatever runs of it stops, so that no ban stays in the firewall with nobody to lift it
      const pipeline = this.pipelines.get(config.name);
      this.pipelines.delete(config.name);
      try {
        await pipeline?.stop();
        await (pipeline?.enforcer ?? kept)?.stop();
      } catch (cleanup) {
        this.log(
          "ERROR",
          "cloudjail.jail",
          `[${config.name}] stopping the jail that failed: ${(cleanup as Error).message}`,
        );
      }
      return reason;
    }
  }

  /**
   * Starts a jail; with `kept` (a reload that kept the jail's actions), goes on with those instead of new ones; with
   * `previous` (a reload), the counters of `status` go on from the previous run of the jail.
   */
  private async startJail(config: HostJailConfig, kept?: JailEnforcer, previous?: PipelineStats): Promise<void> {
    const enforcer = kept ?? this.newEnforcer(config);
    // fail2ban reads a `head` logpath (the default) from where it stopped; without stored positions, reading back
    // `findtime` gives the same bans (older failures cannot count), and event ids keep re-read lines counted once.
    const startAt = (position: "head" | "tail"): StartAt =>
      this.options.once
        ? "beginning"
        : position === "tail"
          ? "end"
          : { since: this.now() - config.policy.findTime, lineTime: (text) => pipeline.lineTime(text, this.now()) };
    const pipeline = new JailPipeline(config, enforcer, {
      runner: () => this.runner!,
      tailer: this.tailer,
      now: () => this.now(),
      ...(this.options.once
        ? { observeTime: (time: number) => this.advanceLogClock(time), dateNow: () => Date.now() / 1000 }
        : {}),
      startAt,
      ...(this.filterPool ? { filterPool: this.filterPool } : {}),
      ...(this.options.journalctl ? { journalctl: this.options.journalctl } : {}),
      ...(this.options.storeHoldMs !== undefined ? { storeHoldMs: this.options.storeHoldMs } : {}),
      recordDecisions: () => this.store!.flush(),
      stillBanned: async (jailName, fid) => {
        const stored = await this.store!.get(jailName, fid);
        return stored !== undefined && banInForce(stored.entry, this.now());
      },
      notice: (message) => this.log("NOTICE", "cloudjail.actions", message),
      warning: (message) => this.log("WARNING", "cloudjail.filter", message),
      ...(this.options.once ? { lagWarningLines: Number.POSITIVE_INFINITY } : {}),
      info: (message) => this.log("INFO", "cloudjail.filter", message),
      infoEnabled: () => LEVELS.indexOf(this.options.log.level) >= LEVELS.indexOf("INFO"),
      debug: (message) => this.log("DEBUG", "cloudjail.filter", message),
      error: (message) => this.log("ERROR", "cloudjail.filter", message),
    });
    this.pipelines.set(config.name, pipeline);
    if (previous) {
      pipeline.stats.totalFailed = previous.totalFailed;
      pipeline.stats.totalBanned = previous.totalBanned;
      pipeline.stats.refusedHostPosition = previous.refusedHostPosition;
      pipeline.stats.unaddressed = previous.unaddressed;
    }
    this.log("INFO", "cloudjail.jail", `[${config.name}] ${config.sourceReason}`);
    let active: ActiveBan[];
    try {
      active = await this.runner!.activeBans(this.now(), config.name);
    } catch (error) {
      throw new CloudjailError(
        `its bans in force cannot be read from the database ${this.options.settings.dbfile}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (kept) {
      this.log("INFO", "cloudjail.jail", `Jail '${config.name}' reloaded, actions kept`);
      // what changed in the store while the jail reloaded (an expiry, an unban by hand) reaches the firewall now
      const inForce = new Set(active.map((ban) => ban.ip));
      const ended = kept.wantedIps().filter((ip) => !inForce.has(ip));
      if (ended.length > 0) await kept.unban(ended);
    } else {
      this.log("INFO", "cloudjail.jail", `Jail '${config.name}' started`);
      await enforcer.start();
    }
    // Bans in force that the actions lack (all of them after a restart) go back into the firewall, in one batch.
    const wanted = new Set(kept?.wantedIps());
    const restored = active.filter((ban) => !wanted.has(ban.ip));
    for (const ban of restored) this.log("NOTICE", "cloudjail.actions", `[${config.name}] Restore Ban ${ban.ip}`);
    // restored bans count as banned by this jail (fail2ban counts them too): Total is never below Currently banned
    if (!previous) pipeline.stats.totalBanned += restored.length;
    if (restored.length > 0) {
      await enforcer.ban(
        restored.map((ban) => ({
          ip: ban.ip,
          fid: ban.fid,
          time: ban.time,
          bantime: ban.banUntil === null ? -1 : Math.round(ban.banUntil - ban.time),
          banCount: ban.banCount,
          restored: true,
        })),
      );
    }
    await pipeline.start();
  }

  private newEnforcer(config: HostJailConfig): JailEnforcer {
    const actions = config.actions.map((definition) => {
      const action = new Action(definition, {
        runner: this.commandRunner(config.name),
        ...(this.options.actionAttempts !== undefined ? { attempts: this.options.actionAttempts } : {}),
        ...(this.options.actionBackoffMs !== undefined ? { backoffMs: this.options.actionBackoffMs } : {}),
        warn: (message) => this.log("WARNING", "cloudjail.actions", `[${config.name}] ${message}`),
      });
      // A notification is retried by its queue, slowly, with one log line per try: no quick attempts of its own.
      if (!action.isNotification()) return action;
      return new Action(definition, { runner: this.commandRunner(config.name), attempts: 1 });
    });
    return new JailEnforcer(
      config.name,
      actions,
      {
        error: (message) => this.log("ERROR", "cloudjail.actions", message),
        warning: (message) => this.log("WARNING", "cloudjail.actions", message),
        debug: (message) => this.log("DEBUG", "cloudjail.actions", message),
      },
      undefined,
      this.options.notificationRetry,
    );
  }

  /** Stops a jail: its log sources and filter, and its actions (bans out of the firewall) unless `keepActions`. */
  private async stopJail(name: string, options: { readonly keepActions?: boolean } = {}): Promise<void> {
    const pipeline = this.pipelines.get(name);
    if (!pipeline) return;
    this.pipelines.delete(name);
    await pipeline.stop();
    if (options.keepActions) return;
    await pipeline.enforcer.stop();
    this.log("INFO", "cloudjail.jail", `Jail '${name}' stopped`);
  }

  /**
   * After a corrupt database was replaced by an empty one: the bans the firewall holds are recorded in it again (with
   * a new ban time from now), so that status shows them and they expire, instead of staying in the firewall forever.
   */
  private async recordFirewallBans(): Promise<void> {
    let recorded = 0;
    for (const pipeline of this.pipelines.values()) {
      for (const ip of pipeline.enforcer.wantedIps()) {
        try {
          if (await this.runner?.ban(pipeline.config.name, ip, this.now())) recorded++;
        } catch (error) {
          this.log("ERROR", "cloudjail.database", `cannot record the ban of ${ip} again: ${(error as Error).message}`);
        }
      }
    }
    if (recorded > 0)
      this.log("WARNING", "cloudjail.database", `${recorded} bans in force recorded in the new database`);
  }

  private async advanceLogClock(time: number): Promise<void> {
    if (time <= this.logClock) return;
    this.logClock = time;
    await this.expire(time);
  }

  private expire(now: number): Promise<void> {
    this.expiring = this.expiring.then(async () => {
      if (!this.runner) return;
      try {
        const unbans = await this.runner.expireBans(now);
        for (const unban of unbans) {
          this.log("NOTICE", "cloudjail.actions", `[${unban.jail}] Unban ${unban.ip}`);
          const pipeline = this.pipelines.get(unban.jail);
          if (pipeline) void pipeline.enforcer.unban([unban.ip]);
        }
      } catch (error) {
        this.log("ERROR", "cloudjail.actions", `ban expiry failed: ${(error as Error).message}`);
      }
    });
    return this.expiring;
  }

  private async purge(): Promise<void> {
    try {
      const removed = await this.store!.purge(this.now());
      if (removed > 0) this.log("DEBUG", "cloudjail.database", `Purged ${removed} old entries`);
    } catch (error) {
      this.log("ERROR", "cloudjail.database", `purge failed: ${(error as Error).message}`);
    }
  }

  private log(level: Parameters<DaemonLog["log"]>[0], logger: string, message: string): void {
    this.options.log.log(level, logger, message);
  }
}

/** What `set JAIL bantime|findtime|maxretry|maxmatches` may change in a running jail. */
export type PolicyChange = Partial<Pick<JailPolicy, "banTime" | "findTime" | "maxRetry" | "maxMatches">>;

/**
 * Whether a reloaded jail may keep its running actions: the same actions from the same files with the same
 * arguments, and the same jail options (which action commands may read).
 */
function sameActions(running: HostJailConfig, next: HostJailConfig): boolean {
  const plain = (config: HostJailConfig) =>
    JSON.stringify({
      options: config.jail.options,
      actions: config.actions.map(({ resolveTag: _function, ...data }) => data),
    });
  return plain(running) === plain(next);
}

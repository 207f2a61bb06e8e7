// One running jail: its log sources feed its filter (one filter state per log, as multi-line filters need), the
// failures go through the jail logic on the store, and the bans to the jail's enforcer. Lines of a jail are handled
// strictly in order; several jails run side by side.
import type { Failure } from "../../shared/filter/failure.js";
import { LogFilter } from "../../shared/filter/log-filter.js";
import type { FilterThreadPool } from "../../shared/filter/watchdog/filter-thread-pool.js";
import { type GuardedLineResult, isStalled } from "../../shared/filter/watchdog/guarded-filter.js";
import type { BanDecision, FailureOutcome, Failure as StoreFailure } from "../../shared/jail/decision.js";
import type { JailRunner } from "../../shared/jail/jail-runner.js";
import type { BanTicket } from "../actions/action.js";
import type { FileTailer, StartAt } from "../sources/file-tailer.js";
import { hasGlob } from "../sources/glob.js";
import { JournalSource } from "../sources/journal-source.js";
import type { LogLine, LogSource } from "../sources/log-source.js";
import type { HostJailConfig } from "./jail-config.js";
import type { JailEnforcer } from "./jail-enforcer.js";
import { describeUnread, hasCaughtUp, isBehind, type JailLag, lagSentence, measureLag } from "./jail-lag.js";
import { filterSpec, guardedMatcher, inlineMatcher, type LineMatcher } from "./line-matcher.js";
import { StoreBusyError } from "./resilient-store.js";

/** What a pipeline needs from the daemon around it. */
export interface PipelineContext {
  readonly runner: () => JailRunner;
  readonly tailer: FileTailer;
  /** The daemon clock, epoch seconds (the log's own time in a replay). */
  readonly now: () => number;
  /** "Now" for reading dates (year inference): the wall clock even in a replay, whose log clock starts at 0. */
  readonly dateNow?: () => number;
  /** Told the time of each line in a replay, so that the clock follows the log. */
  readonly observeTime?: (time: number) => Promise<void>;
  /** Where a log starts being read, by its logpath position (`head`, the default, or `tail`). */
  readonly startAt: (position: "head" | "tail") => StartAt;
  /**
   * The watched worker threads the daemon's filters share (a line that runs past the guard's budget, 40 ms of its
   * thread's own CPU time as in `cloudjail regex` and the Lambda, is abandoned); undefined runs filters inline.
   */
  readonly filterPool?: FilterThreadPool;
  /** The journalctl executable (default: from PATH). */
  readonly journalctl?: string;
  /** How long a failure held on a locked database waits before the next try (default 5 s). */
  readonly storeHoldMs?: number;
  /**
   * Writes what the jail logic decided to the database (the daemon's write-behind store keeps it in memory until
   * then); the bans of a slice of lines are enforced once this resolved. Undefined: every decision is written at once.
   */
  readonly recordDecisions?: () => Promise<void>;
  /** Whether INFO lines are logged now (default yes): the per-failure `Found` line is not even formatted otherwise. */
  readonly infoEnabled?: () => boolean;
  /** Whether the store holds a ban in force for `fid` in `jail` (a write may have lost to another process). */
  readonly stillBanned?: (jail: string, fid: string) => Promise<boolean>;
  readonly notice: (message: string) => void;
  /** Told when the jail falls behind its logs (default: error). */
  readonly warning?: (message: string) => void;
  /**
   * Lines waiting from which the jail reports it is behind (default {@link LAG_WARNING_LINES}); a run over a file
   * (`--once`) reads the whole file at once by design and passes Infinity.
   */
  readonly lagWarningLines?: number;
  readonly info: (message: string) => void;
  readonly debug: (message: string) => void;
  readonly error: (message: string) => void;
}

/** Lines matched in one call of the filter: small enough that a stop waits for one slice at most. */
const matchSlice = 5000;

/** Lines received and not yet handled from which a jail reports it is behind (log at WARNING, `status`). */
export const LAG_WARNING_LINES = 10_000;

/** Counters shown by `status JAIL`. */
export interface PipelineStats {
  totalFailed: number;
  totalBanned: number;
  lines: number;
  /** Matches refused by the filter's `hostposition` (the address could be the client's own text). */
  refusedHostPosition: number;
  /** Lines a failregex matched without capturing an address or failure id. */
  unaddressed: number;
}

/** The ticket an action receives for a ban decision. */
export function ticketOf(ban: BanDecision, restored = false): BanTicket {
  return {
    ip: ban.ip,
    fid: ban.fid,
    failures: ban.failures,
    time: ban.time,
    bantime: ban.banTime,
    banCount: ban.banCount,
    matches: ban.matches,
    restored,
  };
}

/** The filter's captured groups as action tags: `user` becomes `<F-USER>`, as fail2ban names them. */
export function capturedFields(failure: Failure): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(failure.fields)) {
    if (typeof value === "string") fields[`F-${key.toUpperCase()}`] = value;
  }
  return fields;
}

/** A running jail. */
export class JailPipeline {
  readonly stats: PipelineStats = { totalFailed: 0, totalBanned: 0, lines: 0, refusedHostPosition: 0, unaddressed: 0 };
  /** Addresses with failures counted recently and no ban yet (fail2ban's "Currently failed"), with the last time. */
  private readonly failing = new Map<string, number>();
  /**
   * The jail's filter, one for all its logs (a glob may match hundreds of files: one worker thread each would cost
   * hundreds of MB); each log keeps its own multi-line buffer and sessions in it (see source-filters).
   */
  private matcher: Promise<LineMatcher> | undefined;
  /** The logs this jail has read lines from. */
  private readonly sources = new Set<string>();
  private readonly pending: LogLine[] = [];
  /** Lines received, and lines handled (matched and counted, or abandoned): the difference is how far behind. */
  private received = 0;
  private handled = 0;
  private behindReported = false;
  private flushQueued = false;
  /** Reads dates only (for the findtime-back start); never sees attacker text beyond date templates. */
  private dateFilter: LogFilter | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private journal: LogSource | undefined;
  private queue: Promise<void> = Promise.resolve();
  /**
   * Why the filter failed on the last batch of lines (a worker that cannot start, a filter that throws on every
   * line); undefined once a batch is matched again. The daemon reports a jail in this state as failing.
   */
  filterError: string | undefined;
  /**
   * Why the jail's filter was isolated from the other jails (lines abandoned again and again, or persistently slow
   * lines): it runs on the filter pool's quarantine thread, throttled. Shown by `status`.
   */
  filterIsolation: string | undefined;
  /** The daemon is shutting down: lines not handled yet are left (see halt). */
  private halted = false;
  /** Bans decided in the current slice of lines, enforced once the store has written them. */
  private readonly decided: BanTicket[] = [];
  /** The bans of `decided` by address (the same address ban by ban, as the enforcer judges it). */
  private readonly decidedBans = new Map<string, { readonly time: number; readonly banTime: number }>();
  /** The earliest end of the bans in `decided` (epoch seconds; infinite when none or all permanent). */
  private earliestDecidedEnd = Number.POSITIVE_INFINITY;
  /** Failures taken to the store in the current slice (named when their record is held). */
  private unrecorded = 0;

  constructor(
    readonly config: HostJailConfig,
    readonly enforcer: JailEnforcer,
    private readonly context: PipelineContext,
  ) {}

  /** Subscribes the jail's logs (files, or journald for `backend = systemd`). */
  async start(): Promise<void> {
    const { config, context } = this;
    if (config.source === "journal") {
      const startAt = context.startAt("head");
      const since = typeof startAt === "object" ? startAt.since : undefined;
      this.journal = new JournalSource(
        {
          journalmatch: config.journalmatch,
          ...(since !== undefined ? { since } : {}),
          ...(context.journalctl ? { command: context.journalctl } : {}),
          onError: (error) => context.error(`[${config.name}] ${error.message}`),
          whenReady: () => this.idle(),
        },
        (line) => this.receive(line),
      );
      await this.journal.start();
      return;
    }
    for (const { pattern, position } of config.logpaths) {
      const startAt = context.startAt(position);
      // the file waits while this jail is behind: another jail's files are read meanwhile
      const pending = () => (this.linesBehind() > 0 ? this.queue : undefined);
      this.unsubscribe.push(context.tailer.subscribe(pattern, (line) => this.receive(line), { startAt, pending }));
      context.info(`[${config.name}] Added logfile: '${pattern}' (${position})`);
    }
    // Start the filter worker now rather than on the first line, which would then wait for it.
    void this.matcherFor().catch(() => {});
  }

  /** Stops reading; lines already queued are still handled; filter workers end. */
  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    await this.journal?.stop();
    await this.queue;
    const matcher = this.matcher;
    this.matcher = undefined;
    await (await matcher?.catch(() => undefined))?.close();
  }

  /**
   * The daemon stops: lines received and not yet handled are dropped at once, whatever the backlog, so that stop
   * means stop. They are still in the log, and the next start reads `findtime` back (each line counted once). A ban
   * already decided still reaches the enforcer. Returns how many lines were left.
   */
  halt(): number {
    this.halted = true;
    return this.pending.splice(0).length;
  }

  /** Resolves when every line received so far has been handled. */
  idle(): Promise<void> {
    return this.queue;
  }

  private lagWarningLines(): number {
    return this.context.lagWarningLines ?? LAG_WARNING_LINES;
  }

  /** Lines read from the logs and not handled yet. */
  linesBehind(): number {
    return this.received - this.handled;
  }

  /** How far behind: lines waiting, and bytes still unread in the jail's files (see jail-lag). */
  lag(): JailLag {
    if (this.config.source === "journal") {
      return measureLag(
        this.linesBehind(),
        [],
        this.journal instanceof JournalSource ? this.journal.secondsBehind(Date.now() / 1000) : 0,
      );
    }
    return measureLag(
      this.linesBehind(),
      this.context.tailer.backlog(this.config.logpaths.map((logpath) => logpath.pattern)),
    );
  }

  /** A sentence for `status` while the jail is far behind its logs (lines waiting, or bytes unread), else undefined. */
  lagProblem(): string | undefined {
    const lag = this.lag();
    return isBehind(lag, this.lagWarningLines()) ? lagSentence(lag) : undefined;
  }

  /** Addresses counted recently and not banned (within findtime of `now`). */
  currentlyFailed(now: number): number {
    for (const [ip, time] of this.failing) if (time <= now - this.config.policy.findTime) this.failing.delete(ip);
    return this.failing.size;
  }

  /** The files read, or the journal matches. */
  describeSources(): { files: string[]; journal?: string } {
    if (this.config.source === "journal") return { files: [], journal: this.config.journalmatch };
    const files = new Set<string>();
    for (const [path] of this.context.tailer.stats()) if (this.sources.has(path)) files.add(path);
    for (const { pattern } of this.config.logpaths) if (!hasGlob(pattern)) files.add(pattern);
    return { files: [...files] };
  }

  /** The date of a log line as this jail's filter reads it (epoch seconds), for the findtime-back start. */
  lineTime(text: string, now: number): number | undefined {
    this.dateFilter ??= new LogFilter(filterSpec(this.config.filter), {
      ...(this.config.logTimeZone ? { logTimeZone: this.config.logTimeZone } : {}),
    });
    return this.dateFilter.dates.matchTime(text, now)?.time;
  }

  private receive(line: LogLine): void {
    // Lines delivered together (one read of a file) are matched as one batch: one message to the filter worker.
    this.pending.push(line);
    this.received++;
    if (!this.behindReported && this.linesBehind() >= this.lagWarningLines()) {
      // nothing is dropped: the lines wait their turn, and the operator is told
      this.behindReported = true;
      (this.context.warning ?? this.context.error)(
        `[${this.config.name}] ${this.linesBehind()} log lines waiting to be handled: the jail is falling behind its logs`,
      );
    }
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.queue = this.queue.then(
      () => this.flush(),
      () => this.flush(),
    );
  }

  private matcherFor(): Promise<LineMatcher> {
    let matcher = this.matcher;
    if (!matcher) {
      const { filter: definition, logTimeZone } = this.config;
      const options = { useDns: "no" as const, ...(logTimeZone ? { logTimeZone } : {}) };
      const pool = this.context.filterPool;
      matcher = pool
        ? guardedMatcher(filterSpec(definition), options, pool, {
            onIsolated: (reason) => {
              this.filterIsolation = `filter isolated from the other jails: ${reason}`;
              this.context.error(
                `[${this.config.name}] its filter is isolated from the other jails (${reason}); its lines wait ` +
                  "their turn, none is dropped (the lag is reported while it is behind)",
              );
            },
          })
        : Promise.resolve(inlineMatcher(filterSpec(definition), options));
      // a worker that could not start is tried again with the next lines
      matcher.catch(() => {
        if (this.matcher === matcher) this.matcher = undefined;
      });
      this.matcher = matcher;
    }
    return matcher;
  }

  private async flush(): Promise<void> {
    this.flushQueued = false;
    const lines = this.pending.splice(0);
    const bySource = new Map<string, LogLine[]>();
    for (const line of lines) {
      const group = bySource.get(line.source);
      if (group) group.push(line);
      else bySource.set(line.source, [line]);
    }
    for (const [source, lines] of bySource) {
      // a pass may deliver a hundred thousand lines: matched in slices, so that a stop or a signal is heard between,
      // and fewer at a time when the filter's lines are slow, so that their failures are counted as they come
      for (let start = 0; start < lines.length && !this.halted; ) {
        const size = await this.sliceLines();
        await this.matchAndHandle(source, lines.slice(start, start + size));
        start += size;
      }
    }
    this.reportFileLag();
  }

  /**
   * After a batch: a backlog still in the files (the tailer waits for the jail, so it never reaches `pending`) is
   * reported like lines waiting; "caught up" once neither is left.
   */
  private reportFileLag(): void {
    const threshold = this.lagWarningLines();
    if (!Number.isFinite(threshold)) return;
    const lag = this.lag();
    if (!this.behindReported && isBehind(lag, threshold)) {
      this.behindReported = true;
      (this.context.warning ?? this.context.error)(
        `[${this.config.name}] ${lag.waitingLines} log lines waiting to be handled` +
          `${describeUnread(lag) ? ` and ${describeUnread(lag)}` : ""}: the jail is falling behind its logs`,
      );
    } else if (this.behindReported && hasCaughtUp(lag, threshold)) {
      this.behindReported = false;
      this.context.notice(`[${this.config.name}] caught up with its logs`);
    }
  }

  /** Lines matched at once: matchSlice, or fewer for a filter whose lines are slow (see LineMatcher.batchLines). */
  private async sliceLines(): Promise<number> {
    const matcher = await this.matcherFor().catch(() => undefined);
    return Math.max(1, Math.min(matchSlice, matcher?.batchLines?.() ?? matchSlice));
  }

  private async matchAndHandle(source: string, group: LogLine[]): Promise<void> {
    const { config, context } = this;
    this.stats.lines += group.length;
    this.sources.add(source);
    let results: GuardedLineResult[];
    try {
      const matcher = await this.matcherFor();
      const dateNow = context.dateNow?.() ?? context.now();
      // Lines without a time of their own share one context: one object, not one per line, and the message to the
      // filter worker carries it once (structured cloning keeps shared references shared).
      const undated = { now: dateNow };
      results = await matcher.match(
        group.map((line) => line.text),
        group.map((line) => (line.time !== undefined ? { now: dateNow, time: line.time } : undated)),
        source,
      );
    } catch (error) {
      this.filterError = `filter failed on ${source}: ${(error as Error).message}`;
      context.error(`[${config.name}] ${this.filterError}`);
      this.handled += group.length;
      return;
    }
    this.filterError = undefined;
    for (const [index, result] of results.entries()) {
      if (this.halted) {
        this.stats.lines -= group.length - index;
        break;
      }
      const line = group[index]!;
      // A backlog of many thousand lines must not keep the control socket and the expiry timer waiting.
      if (index > 0 && index % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
      this.handled++;
      if (isStalled(result)) {
        context.error(
          `[${config.name}] abandoned a line of ${source} after ${result.budgetMs} ms in the filter (a regex ` +
            `blowing up on crafted input?): ${line.text.slice(0, 200)}`,
        );
        continue;
      }
      if (result.ambiguousHost) {
        this.stats.refusedHostPosition++;
        // the filter's hostposition refused a match: counted nowhere, so said out loud
        context.error(
          `[${config.name}] refused a line of ${source}: its client address cannot be told from text the client ` +
            `wrote (hostposition, a log-injection attempt?): ${line.text.slice(0, 200)}`,
        );
      }
      if (result.unidentified) {
        this.stats.unaddressed++;
        // a failregex whose <ADDR> is optional matched a line without one: nobody to count it against
        context.error(
          `[${config.name}] failregex ${result.unidentified.map((i) => `#${i + 1}`).join(", ")} matched a line of ` +
            `${source} but captured no address or failure id: not counted: ${line.text.slice(0, 200)}`,
        );
      }
      await this.handle(line, result.failures);
    }
    await this.enforceDecided();
  }

  /**
   * The slice's decisions are written (one transaction for all of them), then its bans go to the enforcer in one
   * batch. While the database stays locked by another process the record is held and tried again, reported at
   * ERROR each time, and the jail reads no further: nothing decided is dropped, nothing enforced unrecorded.
   */
  private async enforceDecided(): Promise<void> {
    const { config, context } = this;
    const record = context.recordDecisions;
    if (record) {
      for (;;) {
        try {
          await record();
          break;
        } catch (error) {
          if (!(error instanceof StoreBusyError)) {
            // kept in memory and written later (the store reports each failed write): protection comes first
            context.error(
              `[${config.name}] the decisions of ${this.unrecorded} failures are not in the database yet, the ` +
                `bans are enforced: ${(error as Error).message}`,
            );
            break;
          }
          if (this.halted) return;
          const holdMs = this.context.storeHoldMs ?? 5000;
          context.error(
            `[${config.name}] ${error.message}; the record of ${this.unrecorded} failures is held, tried again in ` +
              `${holdMs / 1000} s`,
          );
          for (let waited = 0; waited < holdMs && !this.halted; waited += 100) {
            await new Promise((resolve) => setTimeout(resolve, Math.min(100, holdMs - waited)));
          }
          if (this.halted) return;
        }
      }
    }
    this.unrecorded = 0;
    this.decidedBans.clear();
    this.earliestDecidedEnd = Number.POSITIVE_INFINITY;
    const tickets = this.decided.splice(0);
    if (tickets.length === 0) return;
    const enforced: BanTicket[] = [];
    for (const ticket of tickets) {
      // the database's state is what is enforced: a write that lost to another process's change was dropped, and an
      // unban by hand may have come between the decision and now
      if (!context.stillBanned || (await context.stillBanned(config.name, ticket.fid ?? ticket.ip)))
        enforced.push(ticket);
      else {
        context.error(
          `[${config.name}] the ban of ${ticket.ip} is not enforced: its entry in the database no longer holds it ` +
            "(changed meanwhile by an unban or by another process)",
        );
      }
    }
    if (enforced.length > 0) void this.enforcer.ban(enforced);
  }

  /**
   * Records a failure in the store. While the database stays locked by another process the failure is held (the
   * jail waits, its lines stay in the log, nothing is dropped) and tried again, reported at ERROR each time.
   */
  private async recordHeld(failure: StoreFailure): Promise<FailureOutcome> {
    for (;;) {
      try {
        return await this.context.runner().recordFailure(failure, this.context.now());
      } catch (error) {
        if (!(error instanceof StoreBusyError) || this.halted) throw error;
        const holdMs = this.context.storeHoldMs ?? 5000;
        this.context.error(
          `[${this.config.name}] ${error.message}; the failure of ${failure.ip} is held, tried again in ${holdMs / 1000} s`,
        );
        // a stop does not wait out the hold: the line is still in the log for the next start
        for (let waited = 0; waited < holdMs && !this.halted; waited += 100) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(100, holdMs - waited)));
        }
        if (this.halted) throw error;
      }
    }
  }

  /**
   * Whether the store would answer "banned" for this failure without counting it: within findtime, not ignored (the
   * store's own screening, which comes first), and inside the ban this jail holds for the address.
   */
  private banCovers(ip: string, time: number): boolean {
    const { policy } = this.config;
    const now = this.context.now();
    const at = Math.min(time, now);
    if (at <= now - policy.findTime) return false;
    // the ban first (a map lookup): a new address, the common case while a flood is counted, costs no address parse
    const decided = this.decidedBans.get(ip);
    const banned =
      this.enforcer.banCovers(ip, at) ||
      // banned earlier in the same slice of lines, not enforced yet (see enforceDecided)
      (decided !== undefined && (at <= decided.time || decided.banTime < 0 || at < decided.time + decided.banTime));
    return banned && !policy.ignore.contains(ip);
  }

  // fail2ban's `Found` line, once per failure: under a flood at NOTICE it costs nothing, not even its date text
  private found(ip: string, time: number): void {
    if (this.context.infoEnabled?.() === false) return;
    // a flood's lines share their time (log dates have a resolution of a second): one date text for all of them
    if (time !== this.foundTime) {
      this.foundText = new Date(time * 1000).toISOString();
      this.foundTime = time;
    }
    this.context.info(`[${this.config.name}] Found ${ip} - ${this.foundText}`);
  }
  private foundTime = Number.NaN;
  private foundText = "";

  private async handle(line: LogLine, failures: readonly Failure[]): Promise<void> {
    const { config, context } = this;
    try {
      for (const failure of failures) {
        if (failure.nofail || failure.isHostName) continue;
        const time = failure.time ?? line.time ?? context.now();
        // In a replay the clock follows the log: a ban decided in this slice that the clock is about to end reaches
        // the firewall first (written and enforced), as it would have in real time.
        if (context.observeTime) {
          if (time >= this.earliestDecidedEnd) await this.enforceDecided();
          await context.observeTime(time);
        }
        const ip = failure.ip ?? failure.id;
        // Under a flood most failures come from addresses already banned: they count for nothing, so they are not
        // taken to the store, and a new attacker's failures do not wait behind theirs.
        // (only when the address is the failure's identity: an F-ID filter keeps its own entries per id)
        if (failure.ip === undefined && this.banCovers(failure.id, time)) {
          this.stats.totalFailed++;
          this.found(ip, time);
          continue;
        }
        this.unrecorded++;
        const outcome = await this.recordHeld({
          jail: config.name,
          ip,
          fid: failure.id,
          time,
          line: failure.matches.join("\n"),
          // The same line read again (a restart reads findtime back) is counted once.
          ...(line.eventId !== undefined ? { eventId: line.eventId } : {}),
        });
        // A line read a second time (after a restart) is not news; one older than findtime counts for nothing.
        if (outcome.kind === "duplicate" || outcome.kind === "obsolete") continue;
        this.stats.totalFailed++;
        this.found(ip, time);
        if (outcome.kind === "counted") this.failing.set(failure.id, time);
        else if (outcome.kind === "ignored") context.info(`[${config.name}] Ignore ${ip} by ip`);
        else if (outcome.kind === "ban") {
          this.failing.delete(failure.id);
          this.stats.totalBanned++;
          context.notice(`[${config.name}] Ban ${outcome.ban.ip}`);
          this.decided.push({ ...ticketOf(outcome.ban), fields: capturedFields(failure) });
          if (outcome.ban.banTime >= 0) {
            this.earliestDecidedEnd = Math.min(this.earliestDecidedEnd, outcome.ban.time + outcome.ban.banTime);
          }
          if (outcome.ban.fid === outcome.ban.ip) {
            this.decidedBans.set(outcome.ban.ip, { time: outcome.ban.time, banTime: outcome.ban.banTime });
          }
        }
      }
    } catch (error) {
      context.error(`[${config.name}] failed to handle a line of ${line.source}: ${(error as Error).message}`);
    }
  }
}

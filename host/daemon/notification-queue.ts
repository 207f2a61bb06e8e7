// A notification action (a mail, a webhook: an action with `actionban` and no `actionunban`, like fail2ban's
// sendmail-* files) runs beside the firewall, never in its way: the firewall ban is made first and does not wait for
// it, its failures are reported as its own (the ban is in place), and it is retried with a growing delay a bounded
// number of times, so a missing sendmail costs a few log lines, not a line a second forever. A ban restored from the
// store (start, reload) is not news: actions marked `norestored` (fail2ban's option) are not told about it.
import type { Action, BanTicket } from "../actions/action.js";
import type { EnforcerLog } from "./jail-enforcer.js";

/** Timing of a notification's retries. */
export interface NotificationRetry {
  /** Delay before the first retry, doubled after each. Default 10 s. */
  readonly firstDelayMs?: number;
  /** Sends tried per notification before it is given up (reported at ERROR). Default 4. */
  readonly rounds?: number;
}

/** What a notification is about. */
type Notice = { readonly kind: "start" } | { readonly kind: "stop" } | { readonly kind: "ban"; ticket: BanTicket };

/** Runs one notification action of one jail in the background, in order, with bounded retries. */
export class NotificationQueue {
  private queue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly firstDelayMs: number;
  private readonly rounds: number;

  constructor(
    readonly jail: string,
    readonly action: Action,
    private readonly log: EnforcerLog,
    retry: NotificationRetry = {},
  ) {
    this.firstDelayMs = retry.firstDelayMs ?? 10_000;
    this.rounds = retry.rounds ?? 4;
  }

  /** The jail started: actionstart (the "started" mail), in the background. */
  start(): void {
    this.send({ kind: "start" }, 1);
  }

  /** New bans: actionban for each (restored ones skipped when the action says `norestored`), in the background. */
  ban(tickets: readonly BanTicket[]): void {
    for (const ticket of tickets) {
      if (ticket.restored && this.action.skipsRestored()) continue;
      this.send({ kind: "ban", ticket }, 1);
    }
  }

  /** Resolves when what was queued so far has been tried once (retries pending on a timer are not waited for). */
  idle(): Promise<void> {
    return this.queue;
  }

  /**
   * The jail stops: pending retries are dropped (reported), actionstop (the "stopped" mail) is sent once; waits at
   * most `limitMs` for it so that a hanging mailer cannot hold the daemon's shutdown.
   */
  async stop(limitMs = 5000): Promise<void> {
    this.closed = true;
    if (this.timers.size > 0) {
      this.log.error(`[${this.jail}] action ${this.action.name}: ${this.timers.size} notices not sent (stopping)`);
    }
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const stopped = this.queue.then(() => this.attempt({ kind: "stop" }, this.rounds));
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log.error(`[${this.jail}] action ${this.action.name}: still running after ${limitMs} ms at stop, left`);
        resolve();
      }, limitMs);
    });
    await Promise.race([stopped, limit]);
    clearTimeout(timer);
  }

  private send(notice: Notice, round: number): void {
    if (this.closed) return;
    this.queue = this.queue.then(async () => {
      if (this.closed && notice.kind !== "stop") return;
      if (!(await this.attempt(notice, round))) this.retryLater(notice, round);
    });
  }

  /** One try; reports a failure as this action's, never as a failed ban. True when it was sent. */
  private async attempt(notice: Notice, round: number): Promise<boolean> {
    let error: Error | undefined;
    try {
      if (notice.kind === "start") await this.action.runNotice("actionstart");
      else if (notice.kind === "stop") await this.action.runNotice("actionstop");
      else error = (await this.action.ban([notice.ticket])).failed[0]?.error;
    } catch (caught) {
      error = caught as Error;
    }
    if (!error) return true;
    const about = notice.kind === "ban" ? `the ban of ${notice.ticket.ip}` : `the jail ${notice.kind}`;
    const next =
      round < this.rounds && notice.kind !== "stop"
        ? `will retry in ${Math.round(this.delay(round) / 100) / 10} s (try ${round} of ${this.rounds})`
        : "given up";
    this.log.error(
      `[${this.jail}] Notification failed (${about}; the firewall is not affected), ${next}: ${error.message}`,
    );
    return false;
  }

  private retryLater(notice: Notice, round: number): void {
    if (round >= this.rounds || this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.send(notice, round + 1);
    }, this.delay(round));
    timer.unref?.();
    this.timers.add(timer);
  }

  private delay(round: number): number {
    return this.firstDelayMs * 2 ** (round - 1);
  }
}

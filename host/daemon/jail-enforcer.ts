// Keeps a jail's actions equal to the bans the store says are in force. A ban is "done" for an action only when
// its script succeeded; a failed one stays pending, is reported, and is tried again with a growing delay, so the
// firewall converges on the store instead of silently drifting from it (fail2ban records bans whose command failed).
// What was done can be undone behind our back (a set flushed, a table deleted): `repair` asks the firewall what it
// holds and puts back what is missing. Notification actions (mail) run beside, in a NotificationQueue each.

import { parseIp } from "../../shared/net/ip.js";
import type { Action, BanTicket, Family } from "../actions/action.js";
import { NotificationQueue, type NotificationRetry } from "./notification-queue.js";

/** Where the enforcer reports. */
export interface EnforcerLog {
  error(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
}

interface ActionState {
  readonly action: Action;
  readonly enforced: Set<string>;
  /**
   * Addresses whose wanted state changed, or whose last script failed, since this action was last reconciled: a
   * reconcile looks at these only, so that the cost of a ban does not grow with the number of bans in force.
   */
  readonly unsettled: Set<string>;
}

/** Reconciles the actions of one jail with the wanted bans. */
export class JailEnforcer {
  /** The firewall actions: what makes a ban real. */
  private readonly states: ActionState[];
  /** The notification actions (mail ...), run beside the firewall (see NotificationQueue). */
  private readonly notifications: NotificationQueue[];
  private readonly wanted = new Map<string, BanTicket>();
  private queue: Promise<unknown> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs: number;
  private stopped = false;
  /** A reconcile queued and not started yet: bans arriving meanwhile join it (one batch per tick, not one each). */
  private queuedSync: Promise<void> | undefined;
  /** Addresses looked at by reconciles so far (for the rule that a ban costs the same whatever the bans in force). */
  examined = 0;

  constructor(
    readonly jail: string,
    actions: readonly Action[],
    private readonly log: EnforcerLog,
    private readonly firstRetryMs = 1000,
    notificationRetry: NotificationRetry = {},
  ) {
    this.states = actions
      .filter((action) => !action.isNotification())
      .map((action) => ({ action, enforced: new Set(), unsettled: new Set() }));
    this.notifications = actions
      .filter((action) => action.isNotification())
      .map((action) => new NotificationQueue(jail, action, log, notificationRetry));
    this.retryDelayMs = firstRetryMs;
  }

  /**
   * Runs actionstart of every firewall action (a failing one is reported and started again by the next sync); the
   * notification actions start in the background.
   */
  async start(): Promise<void> {
    for (const notification of this.notifications) notification.start();
    await this.enqueue(async () => {
      for (const { action } of this.states) {
        try {
          await action.start();
        } catch (error) {
          this.log.error(`[${this.jail}] ${(error as Error).message}`);
        }
      }
    });
  }

  /**
   * Wants `tickets` banned (already banned ones are left alone) and applies the difference; the new ones are
   * passed to the notification actions, which the returned promise does not wait for.
   */
  ban(tickets: readonly BanTicket[]): Promise<void> {
    const fresh = tickets.filter((ticket) => !this.wanted.has(ticket.ip));
    for (const ticket of tickets) {
      this.wanted.set(ticket.ip, ticket);
      for (const state of this.states) state.unsettled.add(ticket.ip);
    }
    const synced = this.sync();
    if (fresh.length > 0) for (const notification of this.notifications) notification.ban(fresh);
    return synced;
  }

  /** Resolves when the firewall is synced and every notification queued so far has been tried once. */
  async settled(): Promise<void> {
    await this.sync();
    for (const notification of this.notifications) await notification.idle();
  }

  /** Wants `ips` unbanned and applies the difference. */
  unban(ips: readonly string[]): Promise<void> {
    for (const ip of ips) {
      this.wanted.delete(ip);
      for (const state of this.states) state.unsettled.add(ip);
    }
    return this.sync();
  }

  /**
   * Whether a failure of `ip` at `time` falls in the ban this jail wants for it, by the store's own rule (at or before
   * the ban's start, or before its end): such a failure counts for nothing, and the jail need not ask the store.
   */
  banCovers(ip: string, time: number): boolean {
    const ticket = this.wanted.get(ip);
    if (ticket?.time === undefined || ticket.bantime === undefined) return false;
    if (ticket.fid !== undefined && ticket.fid !== ip) return false;
    return time <= ticket.time || ticket.bantime < 0 || time < ticket.time + ticket.bantime;
  }

  /** Addresses wanted banned, enforced or not yet. */
  wantedIps(): string[] {
    return [...this.wanted.keys()];
  }

  /** Addresses every action has banned successfully. */
  enforced(): string[] {
    return [...this.wanted.keys()].filter((ip) => this.states.every((state) => state.enforced.has(ip)));
  }

  /** Addresses wanted but not yet in place in every action (a failing action). */
  pending(): string[] {
    return [...this.wanted.keys()].filter((ip) => this.states.some((state) => !state.enforced.has(ip)));
  }

  /** Applies the difference between wanted and enforced bans, now. */
  sync(): Promise<void> {
    this.queuedSync ??= this.enqueue(() => {
      this.queuedSync = undefined;
      return this.reconcile();
    });
    return this.queuedSync;
  }

  /** Removes every ban (actionflush where defined, else one unban each) and runs actionstop. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await Promise.all(this.notifications.map((notification) => notification.stop()));
    await this.enqueue(async () => {
      for (const state of this.states) {
        try {
          if (state.enforced.size > 0 && !(await state.action.flush())) {
            await state.action.unban([...state.enforced].map((ip) => ({ ip })));
          }
          state.enforced.clear();
          await state.action.stop();
        } catch (error) {
          this.log.error(`[${this.jail}] ${(error as Error).message}`);
        }
      }
    });
  }

  /**
   * Checks that the firewall still holds the bans this enforcer put there, and puts back what is missing: a set
   * flushed, a table deleted, rules wiped by a firewall reload. An action with `actionlist` is asked once per family
   * (one command whatever the number of bans); with only `actioncheck`, a failed check means every ban of that
   * family is gone. What was repaired is logged at WARNING. Returns how many bans were put back (or are pending).
   */
  repair(): Promise<number> {
    return this.enqueue(async () => {
      if (this.stopped) return 0;
      let missingTotal = 0;
      for (const state of this.states) {
        if (!state.action.canInspect() || state.enforced.size === 0) continue;
        for (const inspection of await state.action.inspect()) {
          if (inspection.state === "unknown") continue;
          const ofFamily = [...state.enforced].filter((ip) => familyOf(ip) === inspection.family);
          const missing =
            inspection.state === "lost" ? ofFamily : ofFamily.filter((ip) => !inspection.ips.has(canonical(ip)));
          if (missing.length === 0) continue;
          const why = inspection.state === "lost" ? `its rules are gone (${inspection.why})` : "not in its list";
          this.log.warning(
            `[${this.jail}] Firewall repair: ${missing.length} of ${ofFamily.length} ${inspection.family} bans of ` +
              `action ${state.action.name} missing, ${why}; putting them back`,
          );
          if (inspection.state === "lost") {
            try {
              await state.action.restart(inspection.family);
            } catch (error) {
              this.log.error(`[${this.jail}] Firewall repair: ${(error as Error).message}`);
            }
          }
          for (const ip of missing) {
            state.enforced.delete(ip);
            state.unsettled.add(ip);
          }
          missingTotal += missing.length;
        }
      }
      if (missingTotal > 0) await this.reconcile();
      return missingTotal;
    });
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => {});
    return next;
  }

  private async reconcile(): Promise<void> {
    const restarts = this.restarts();
    let failures = 0;
    for (const state of this.states) {
      const toBan: BanTicket[] = [];
      const toUnban: string[] = [];
      for (const ip of state.unsettled) {
        this.examined++;
        const ticket = this.wanted.get(ip);
        if (ticket && !state.enforced.has(ip)) toBan.push(ticket);
        else if (!ticket && state.enforced.has(ip)) toUnban.push(ip);
      }
      state.unsettled.clear();
      if (toUnban.length > 0) {
        const outcome = await state.action.unban(toUnban.map((ip) => ({ ip })));
        for (const ip of outcome.done) state.enforced.delete(ip);
        // a failed one is looked at again by the retry
        for (const { ip } of outcome.failed) state.unsettled.add(ip);
        failures += this.report("unban", outcome.failed);
      }
      if (toBan.length > 0) {
        const outcome = await state.action.ban(toBan);
        for (const ip of outcome.done) state.enforced.add(ip);
        for (const { ip } of outcome.failed) state.unsettled.add(ip);
        failures += this.report("ban", outcome.failed);
      }
    }
    if (failures > 0) this.scheduleRetry();
    else this.retryDelayMs = this.firstRetryMs;
    // An action found its rules gone (actioncheck failed) and started again: the bans it had are gone too.
    if (this.restarts() !== restarts) void this.repair();
  }

  private restarts(): number {
    return this.states.reduce((sum, state) => sum + state.action.restarts, 0);
  }

  private report(what: string, failed: { ip: string; error: Error }[]): number {
    const first = failed[0];
    if (first) {
      const more = failed.length > 1 ? ` (and ${failed.length - 1} more addresses)` : "";
      this.log.error(`[${this.jail}] Failed to ${what} ${first.ip}${more}, will retry: ${first.error.message}`);
    }
    return failed.length;
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.sync();
    }, this.retryDelayMs);
    this.retryTimer.unref?.();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, 60_000);
  }
}

function familyOf(ip: string): Family {
  return parseIp(ip)?.family === 6 ? "inet6" : "inet4";
}

function canonical(ip: string): string {
  return parseIp(ip)?.text ?? ip;
}

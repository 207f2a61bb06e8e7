// One configured action of one jail (fail2ban's CommandAction): its scripts compiled once per address family,
// run with ticket values in the environment, retried with backoff, batched where the action file says how.
import { hostname } from "node:os";
import { CloudjailError } from "../../shared/errors.js";
import { isCanonicalIpv4, parseIp } from "../../shared/net/ip.js";
import { bindTicketTags, substituteConfigTags, ticketTagVariable } from "./action-template.js";
import type { CommandResult, CommandRunner } from "./command-runner.js";
import { environmentValue } from "./environment-value.js";

/** fail2ban's family names, used in `[Init?family=inet6]` sections. */
export type Family = "inet4" | "inet6";

/**
 * The operations an action.d file defines. `actionbanbatch` / `actionunbanbatch` are cloudjail's set-based extras, and
 * so is `actionlist`: it prints the addresses the firewall holds for the jail (any text; every token that is an
 * address counts) and fails when the jail's chain, rule or set is gone, so that the repair can compare.
 */
export const OPERATIONS = [
  "actionstart",
  "actionstop",
  "actioncheck",
  "actionban",
  "actionunban",
  "actionflush",
  "actionbanbatch",
  "actionunbanbatch",
  "actionlist",
] as const;
/** One of {@link OPERATIONS}. */
export type Operation = (typeof OPERATIONS)[number];

/** An action.d file resolved for one jail: [Definition] commands, [Init] merged with the jail's arguments. */
export interface ActionDefinition {
  /** Action name as the jail refers to it, e.g. `nftables`. */
  readonly name: string;
  readonly file?: string;
  /** [Definition] options, the commands among them. */
  readonly definition: Readonly<Record<string, string>>;
  /** [Init] options overridden by the jail's `action = name[key=value, ...]` arguments and jail options. */
  readonly init: Readonly<Record<string, string>>;
  /** `[Init?family=inet6]` (and inet4) overrides. */
  readonly initByFamily?: Readonly<Partial<Record<Family, Readonly<Record<string, string>>>>>;
  /** Resolves tags the options above lack, such as fail2ban's `<section/option>` references. */
  readonly resolveTag?: (tag: string) => string | undefined;
  /**
   * Digest of the files the action was read from (includes too) and their paths: two definitions with equal options
   * and fingerprints run the same commands (see Daemon.reload, which keeps such actions running).
   */
  readonly fingerprint?: string;
}

/** What a ban action is told about one ban. Everything here may come from attacker-written log text. */
export interface BanTicket {
  readonly ip: string;
  readonly fid?: string;
  readonly failures?: number;
  /** Epoch seconds of the ban. */
  readonly time?: number;
  /** Ban length in seconds (after increments), negative for permanent. */
  readonly bantime?: number;
  readonly banCount?: number;
  readonly matches?: readonly string[];
  readonly restored?: boolean;
  /** Values the filter captured (`F-USER` ...), offered as `<F-USER>` tags. */
  readonly fields?: Readonly<Record<string, string>>;
}

/** Tuning and collaborators of an action. */
export interface ActionOptions {
  readonly runner: CommandRunner;
  /** Kill a script after this long; fail2ban's `timeout` option (seconds) overrides. Default 60 s. */
  readonly timeoutMs?: number;
  /** Attempts per operation before it is reported failed. Default 3. */
  readonly attempts?: number;
  /** First retry delay, doubled each time. Default 200 ms. */
  readonly backoffMs?: number;
  /** Most addresses per batch script (argument and environment strings are limited to 128 KiB each). */
  readonly batchSize?: number;
  /** Receives warnings: failed attempts and repairs. */
  readonly warn?: (message: string) => void;
}

/** An action script that kept failing after its retries; the ban or unban it carried is not done. */
export class ActionFailedError extends CloudjailError {
  override name = "ActionFailedError";
  constructor(
    readonly action: string,
    readonly operation: Operation,
    readonly result: CommandResult,
  ) {
    const why = result.timedOut
      ? "timed out"
      : result.code === null
        ? `could not run: ${result.stderr.trim()}`
        : `exit ${result.code}${result.stderr.trim() ? `: ${result.stderr.trim().slice(0, 500)}` : ""}`;
    super(`action ${action}: ${operation} failed (${why})`);
  }
}

/** Most characters of an `actionlist` output read: room for a million bans. */
const listOutputLimit = 64 * 1024 * 1024;

interface CompiledScript {
  readonly script: string;
  readonly tags: readonly string[];
}

/** Outcome of a ban or unban of many addresses: the ones done and the ones that failed, with why. */
export interface BatchOutcome {
  readonly done: string[];
  readonly failed: { ip: string; error: ActionFailedError }[];
}

/** What the firewall holds for one family of an action: the addresses listed, its rules gone, or no way to tell. */
export type FamilyInspection =
  | { readonly family: Family; readonly state: "listed"; readonly ips: ReadonlySet<string> }
  | { readonly family: Family; readonly state: "lost"; readonly why: string }
  | { readonly family: Family; readonly state: "unknown" };

/** A runnable action.d action for one jail. */
export class Action {
  readonly name: string;
  /**
   * How often actionstart ran again, and worked, because actioncheck failed (the firewall lost our rules): the bans
   * it held are gone too, and the enforcer repairs.
   */
  restarts = 0;
  private readonly scripts = new Map<Family, Map<Operation, CompiledScript>>();
  private readonly started = new Set<Family>();
  private readonly timeoutMs: number;

  /** Compiles every command for both families; throws ConfigError on an unknown tag or a cycle. */
  constructor(
    readonly definition: ActionDefinition,
    private readonly options: ActionOptions,
  ) {
    this.name = definition.name;
    const timeout = Number(definition.init.timeout ?? definition.definition.timeout);
    this.timeoutMs = Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : (options.timeoutMs ?? 60_000);
    const unknownTags = new Set<string>();
    for (const family of ["inet4", "inet6"] as const) {
      const host = hostname();
      const values: Record<string, string> = {
        // fail2ban's built-in host name tags (sendmail actions use them).
        "fq-hostname": host,
        "sh-hostname": host.split(".")[0] ?? host,
        ...definition.definition,
        ...definition.init,
        ...definition.initByFamily?.[family],
      };
      const compiled = new Map<Operation, CompiledScript>();
      for (const operation of OPERATIONS) {
        const template = definition.definition[operation];
        if (template === undefined || template.trim() === "") continue;
        const text = substituteConfigTags(template, values, {
          file: definition.file,
          option: operation,
          ...(definition.resolveTag ? { fallback: definition.resolveTag } : {}),
          unknown: (tag) => unknownTags.add(`<${tag}> in ${operation}`),
        });
        compiled.set(operation, bindTicketTags(text));
      }
      this.scripts.set(family, compiled);
    }
    for (const tag of unknownTags) {
      options.warn?.(
        `action ${this.name}: nothing defines ${tag}; it stays as written (${definition.file ?? "no file"})`,
      );
    }
  }

  /** True when the action file defines `operation`. */
  has(operation: Operation): boolean {
    return this.scripts.get("inet4")!.has(operation);
  }

  /**
   * A notification action (a mail, a webhook): it bans (tells) but has nothing to undo, as fail2ban's sendmail-*
   * files, which define `actionban` and leave `actionunban` empty. Its failures never mean an address is not banned.
   */
  isNotification(): boolean {
    return this.has("actionban") && !this.has("actionunban") && !this.has("actionbanbatch");
  }

  /** fail2ban's `norestored` option: bans restored from the store at start or reload are not passed to it. */
  skipsRestored(): boolean {
    const value = (this.definition.init.norestored ?? this.definition.definition.norestored ?? "").trim();
    return /^(1|true|yes|on)$/i.test(value);
  }

  /**
   * Runs actionstart or actionstop once for IPv4 with no ticket, whatever was run before, and counts both families
   * started so that a ban never runs actionstart again (a notification action's "started" notice is sent once).
   */
  async runNotice(operation: "actionstart" | "actionstop"): Promise<void> {
    this.started.add("inet4").add("inet6");
    await this.runWithRetry("inet4", operation, { family: "inet4" });
  }

  /** True when the firewall can be asked what it holds (`actionlist`) or whether our rules are there (`actioncheck`). */
  canInspect(): boolean {
    return this.has("actionlist") || this.has("actioncheck");
  }

  /**
   * Asks the firewall, once per started family, what it holds: `actionlist` (one command, whatever the number of
   * bans) gives the addresses; without it `actioncheck` tells only whether the rules are there. Runs no retry.
   */
  async inspect(): Promise<FamilyInspection[]> {
    const inspections: FamilyInspection[] = [];
    for (const family of this.started) {
      const operation: Operation = this.has("actionlist") ? "actionlist" : "actioncheck";
      if (!this.has(operation)) {
        inspections.push({ family, state: "unknown" });
        continue;
      }
      const result = await this.runOnce(family, operation, { family });
      if (result.code !== 0) {
        inspections.push({ family, state: "lost", why: new ActionFailedError(this.name, operation, result).message });
      } else if (operation === "actioncheck") inspections.push({ family, state: "unknown" });
      else inspections.push({ family, state: "listed", ips: addressesIn(result.stdout) });
    }
    return inspections;
  }

  /** Runs actionstart of `family` again (its rules were found gone); throws ActionFailedError when it keeps failing. */
  async restart(family: Family): Promise<void> {
    await this.runWithRetry(family, "actionstart", { family });
    this.started.add(family);
  }

  /** Runs actionstart for IPv4 (IPv6 starts on its first ban, as in fail2ban). */
  async start(): Promise<void> {
    await this.ensureStarted("inet4");
  }

  /** Runs actionstop for every family started (once when both families share the same script). */
  async stop(): Promise<void> {
    for (const family of this.distinct("actionstop")) await this.runWithRetry(family, "actionstop", {});
    this.started.clear();
  }

  /** Runs actionflush (every ban removed at once) for every family started; false when the file defines none. */
  async flush(): Promise<boolean> {
    if (!this.has("actionflush")) return false;
    for (const family of this.distinct("actionflush")) await this.runWithRetry(family, "actionflush", {});
    return true;
  }

  /** The started families whose `operation` script differs, so a script shared by both runs once. */
  private distinct(operation: Operation): Family[] {
    const seen = new Set<string>();
    return [...this.started].filter((family) => {
      const compiled = this.scripts.get(family)!.get(operation);
      // A script that reads <family> differs by its environment: it runs for each family.
      if (!compiled || compiled.tags.length > 0) return true;
      if (seen.has(compiled.script)) return false;
      seen.add(compiled.script);
      return true;
    });
  }

  /** Bans many addresses, one batch script per chunk where the action defines one, else one script each. */
  async ban(tickets: readonly BanTicket[]): Promise<BatchOutcome> {
    return this.apply("ban", tickets);
  }

  /** Unbans many addresses (same batching as {@link ban}). */
  async unban(tickets: readonly BanTicket[]): Promise<BatchOutcome> {
    return this.apply("unban", tickets);
  }

  private async apply(kind: "ban" | "unban", tickets: readonly BanTicket[]): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { done: [], failed: [] };
    const byFamily = new Map<Family, BanTicket[]>();
    for (const ticket of tickets) {
      const family: Family = parseIp(ticket.ip)?.family === 6 ? "inet6" : "inet4";
      const group = byFamily.get(family);
      if (group) group.push(ticket);
      else byFamily.set(family, [ticket]);
    }
    for (const [family, group] of byFamily) {
      try {
        await this.ensureStarted(family);
      } catch (error) {
        for (const ticket of group) outcome.failed.push({ ip: ticket.ip, error: error as ActionFailedError });
        continue;
      }
      const batch: Operation = kind === "ban" ? "actionbanbatch" : "actionunbanbatch";
      const single: Operation = kind === "ban" ? "actionban" : "actionunban";
      if (this.has(batch) && group.length > 1) {
        const size = this.options.batchSize ?? 2000;
        for (let i = 0; i < group.length; i += size) {
          const chunk = group.slice(i, i + size);
          const ips = chunk.map((ticket) => ticket.ip);
          try {
            await this.runWithRetry(family, batch, { ips: ips.join(", "), ipcount: String(ips.length), family });
            outcome.done.push(...ips);
          } catch (error) {
            for (const ip of ips) outcome.failed.push({ ip, error: error as ActionFailedError });
          }
        }
      } else if (this.has(single)) {
        for (const ticket of group) {
          try {
            await this.runWithRetry(family, single, ticketValues(ticket, family));
            outcome.done.push(ticket.ip);
          } catch (error) {
            outcome.failed.push({ ip: ticket.ip, error: error as ActionFailedError });
          }
        }
      } else for (const ticket of group) outcome.done.push(ticket.ip);
    }
    return outcome;
  }

  private async ensureStarted(family: Family): Promise<void> {
    if (this.started.has(family)) return;
    // nftables.conf sets up both families at once: the IPv6 start is then the script that already ran.
    const start = this.scripts.get(family)!.get("actionstart");
    const same = (other: Family) => this.scripts.get(other)!.get("actionstart")?.script === start?.script;
    if (start?.tags.length === 0 && [...this.started].some(same)) {
      this.started.add(family);
      return;
    }
    await this.runWithRetry(family, "actionstart", { family });
    this.started.add(family);
  }

  /**
   * Runs one operation; on failure runs actioncheck and, when the check fails too (the firewall lost our chain or
   * set), actionstart again before the next attempt, as fail2ban repairs. Throws ActionFailedError at the end.
   */
  private async runWithRetry(family: Family, operation: Operation, values: Record<string, string>): Promise<void> {
    const attempts = this.options.attempts ?? 3;
    let delay = this.options.backoffMs ?? 200;
    let last: CommandResult | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      last = await this.runOnce(family, operation, values);
      if (last.code === 0) return;
      const failure = new ActionFailedError(this.name, operation, last);
      this.options.warn?.(`${failure.message} (attempt ${attempt} of ${attempts})`);
      if (attempt === attempts) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
      const repairable = operation !== "actionstart" && operation !== "actioncheck" && operation !== "actionstop";
      if (repairable && this.has("actioncheck")) {
        const check = await this.runOnce(family, "actioncheck", { family });
        if (check.code !== 0) {
          this.options.warn?.(`action ${this.name}: actioncheck failed, running actionstart again`);
          // only a start that worked asks for a repair: a firewall that keeps failing is left to the retries
          if ((await this.runOnce(family, "actionstart", { family })).code === 0) this.restarts++;
        }
      }
    }
    throw new ActionFailedError(this.name, operation, last!);
  }

  private runOnce(family: Family, operation: Operation, values: Record<string, string>): Promise<CommandResult> {
    const compiled = this.scripts.get(family)!.get(operation);
    if (!compiled) return Promise.resolve({ code: 0, signal: null, stdout: "", stderr: "", timedOut: false });
    const env: Record<string, string> = {};
    for (const tag of compiled.tags) env[ticketTagVariable(tag)] = environmentValue(values[tag] ?? "");
    // a listing is read whole, or the addresses after the cut would look missing (about 40 bytes per ban)
    const outputLimit = operation === "actionlist" ? listOutputLimit : undefined;
    return this.options.runner.run(compiled.script, env, this.timeoutMs, outputLimit);
  }
}

/**
 * The canonical addresses among the tokens of `text` (`1.2.3.4/32` counts as 1.2.3.4, a wider network does not).
 * A listing of 100,000 bans is read here every check: canonical IPv4 tokens take a cheap path.
 */
export function addressesIn(text: string): Set<string> {
  const ips = new Set<string>();
  for (const token of text.split(/[\s,{}()[\]]+/)) {
    const slash = token.indexOf("/");
    const host = slash < 0 ? token : token.slice(0, slash);
    const prefix = slash < 0 ? undefined : token.slice(slash + 1);
    if (isCanonicalIpv4(host)) {
      if (prefix === undefined || prefix === "32") ips.add(host);
      continue;
    }
    if (!host.includes(":") && !host.includes(".")) continue;
    const ip = parseIp(host);
    if (ip && (prefix === undefined || prefix === (ip.family === 4 ? "32" : "128"))) ips.add(ip.text);
  }
  return ips;
}

/** The ticket tags of one ban, as strings. */
export function ticketValues(ticket: BanTicket, family: Family): Record<string, string> {
  const values: Record<string, string> = {
    ip: ticket.ip,
    fid: ticket.fid ?? ticket.ip,
    family,
    failures: String(ticket.failures ?? 0),
    time: String(Math.floor(ticket.time ?? Date.now() / 1000)),
    bantime: String(ticket.bantime ?? 0),
    bancount: String(ticket.banCount ?? 1),
    matches: (ticket.matches ?? []).join("\n"),
    ipmatches: (ticket.matches ?? []).join("\n"),
    ipjailmatches: (ticket.matches ?? []).join("\n"),
    ipfailures: String(ticket.failures ?? 0),
    ipjailfailures: String(ticket.failures ?? 0),
    restored: ticket.restored ? "1" : "0",
    "ip-rev": reverseName(ticket.ip),
    "ip-host": ticket.ip,
  };
  for (const [key, value] of Object.entries(ticket.fields ?? {})) values[key] = value;
  return values;
}

function reverseName(ip: string): string {
  const parsed = parseIp(ip);
  if (!parsed) return "";
  if (parsed.family === 4) return `${parsed.text.split(".").reverse().join(".")}.`;
  const hex = parsed.value.toString(16).padStart(32, "0");
  return `${[...hex].reverse().join(".")}.`;
}

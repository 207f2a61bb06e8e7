// fail2ban-client's commands, answered by the daemon, with output shaped like fail2ban-client's so that scripts
// and habits carry over (`status`, `status sshd`, `set sshd banip 1.2.3.4`, `unban --all`, `banned`, ...).
// `get` and `set` live in their own files; the command list is client-command-table.ts.
import { CloudjailError } from "../../shared/errors.js";
import { VERSION } from "../../shared/version.js";
import type { Daemon } from "../daemon/daemon.js";
import type { PipelineStats } from "../daemon/jail-pipeline.js";
import { banLineWithTime, byEndOfBan, pythonList } from "./ban-list-format.js";
import { clientCommandHelp } from "./client-command-table.js";
import type { ControlContext } from "./control-context.js";
import type { CommandAnswer } from "./control-protocol.js";
import { jailGet, requireIp, serverGet } from "./jail-get-commands.js";
import { jailSet, serverSet } from "./jail-set-commands.js";

/** Renders fail2ban-client's tree: `|- key:\tvalue` lines, the last one with a backquote. */
export function tree(entries: readonly (readonly [string, string | readonly (readonly [string, string])[]])[]): string {
  const lines: string[] = [];
  entries.forEach(([key, value], index) => {
    const last = index === entries.length - 1;
    if (typeof value === "string") {
      lines.push(`${last ? "`-" : "|-"} ${key}:\t${value}`);
      return;
    }
    lines.push(`${last ? "`-" : "|-"} ${key}`);
    value.forEach(([childKey, childValue], childIndex) => {
      const childLast = childIndex === value.length - 1;
      lines.push(`${last ? "   " : "|  "}${childLast ? "`-" : "|-"} ${childKey}:\t${childValue}`);
    });
  });
  return lines.join("\n");
}

/** The status flavors answered; fail2ban's `cymru` asks Team Cymru's DNS about every address, which we do not. */
const FLAVORS = ["basic", "short"];

async function jailStatus(daemon: Daemon, jail: string, flavor = "basic"): Promise<string> {
  if (!FLAVORS.includes(flavor)) {
    throw new CloudjailError(
      flavor === "--all"
        ? "status <JAIL> --all: to see every jail, run 'status --all'; a jail's flavors are basic and short"
        : `unsupported status flavor '${flavor}' (supported: ${FLAVORS.join(", ")})`,
    );
  }
  // a jail that failed to start: its reason, and the client's own exit status (EXIT_JAIL_FAILED)
  const pipeline = daemon.pipeline(jail);
  const problems = daemon.jailProblems(jail);
  const banned = await daemon.bannedIps(jail);
  const sources = pipeline.describeSources();
  const short = flavor === "short";
  return `Status for the jail: ${jail}\n${tree([
    [
      "Filter",
      [
        ["Currently failed", String(pipeline.currentlyFailed(daemon.now()))],
        ["Total failed", String(pipeline.stats.totalFailed)],
        ...unusedMatchEntries(pipeline.stats),
        ...(short
          ? []
          : [
              sources.journal !== undefined
                ? (["Journal matches", sources.journal] as const)
                : (["File list", sources.files.join(" ")] as const),
            ]),
      ],
    ],
    [
      "Actions",
      [
        ["Currently banned", String(banned.length)],
        ["Total banned", String(pipeline.stats.totalBanned)],
        ...(short ? [] : [["Banned IP list", banned.join(" ")] as const]),
      ],
    ],
    ...(problems.length > 0 ? ([["Problems", problems.map((text) => ["WARNING", text] as const)]] as const) : []),
  ])}`;
}

/**
 * Matches that counted for nobody, shown under `Filter` once there are any (fail2ban has no such lines; leaving them
 * out while zero keeps its status output as scripts read it): each is an ERROR in the log too.
 */
function unusedMatchEntries(stats: PipelineStats): (readonly [string, string])[] {
  const entries: (readonly [string, string])[] = [];
  if (stats.refusedHostPosition > 0) entries.push(["Refused (hostposition)", String(stats.refusedHostPosition)]);
  if (stats.unaddressed > 0) entries.push(["Matched without address", String(stats.unaddressed)]);
  return entries;
}

async function status(daemon: Daemon, args: readonly string[]): Promise<string> {
  if (args.length === 0) {
    const jails = daemon.jailNames();
    return `Status\n${tree([
      ["Number of jail", String(jails.length)],
      ["Jail list", jails.join(", ")],
      ...failedJailsEntry(daemon),
    ])}`;
  }
  if (args.length > 2) throw new CloudjailError("usage: status [<JAIL> [basic|short]] | status --all [basic|short]");
  if (args[0] === "--all") {
    // fail2ban 1.1's `status --all`: every jail's status, one after the other.
    const parts = [await status(daemon, [])];
    for (const jail of daemon.jailNames()) parts.push(await jailStatus(daemon, jail, args[1]));
    return parts.join("\n");
  }
  return jailStatus(daemon, args[0]!, args[1]);
}

async function banned(daemon: Daemon, args: readonly string[]): Promise<string> {
  if (args[0] === "--with-time") {
    // ours: every jail's bans with start, end and time left (fail2ban has this only per jail, `get JAIL banip`)
    const lines: string[] = [];
    for (const jail of daemon.jailNames()) {
      const bans = byEndOfBan(await daemon.activeBans(jail));
      lines.push(`${jail}:${bans.length === 0 ? " none" : ""}`);
      for (const ban of bans) lines.push(`  ${banLineWithTime(ban, daemon.now())}`);
    }
    return lines.join("\n");
  }
  if (args.length === 0) {
    const parts: string[] = [];
    for (const jail of daemon.jailNames()) parts.push(`{'${jail}': ${pythonList(await daemon.bannedIps(jail))}}`);
    return `[${parts.join(", ")}]`;
  }
  const ips = args.map(requireIp);
  const where = await Promise.all(
    ips.map(async (ip) => {
      const jails: string[] = [];
      for (const jail of daemon.jailNames()) if ((await daemon.bannedIps(jail)).includes(ip)) jails.push(jail);
      return pythonList(jails);
    }),
  );
  return `[${where.join(", ")}]`;
}

/** Options of `reload` and `restart`, as fail2ban-client takes them. */
export interface ReloadPlan {
  readonly restart: boolean;
  readonly unban: boolean;
  readonly ifExists: boolean;
  readonly jail?: string;
}

/** Reads `reload [--restart] [--unban] [--all] [--if-exists] [<JAIL>]`; `restart ...` is `reload --restart ...`. */
export function parseReload(command: "reload" | "restart", args: readonly string[]): ReloadPlan {
  let restart = command === "restart";
  let unban = false;
  let ifExists = false;
  const jails: string[] = [];
  for (const arg of args) {
    if (arg === "--restart" && command === "reload") restart = true;
    else if (arg === "--unban") unban = true;
    else if (arg === "--if-exists") ifExists = true;
    else if (arg === "--all" && command === "reload") {
      // every jail: what a reload without a jail does anyway
    } else if (arg.startsWith("-") || jails.length > 0) {
      throw new CloudjailError(
        command === "reload"
          ? "usage: reload [--restart] [--unban] [--all] | reload [--restart] [--unban] [--if-exists] <JAIL>"
          : "usage: restart | restart [--unban] [--if-exists] <JAIL>",
      );
    } else jails.push(arg);
  }
  return { restart, unban, ifExists, ...(jails[0] !== undefined ? { jail: jails[0] } : {}) };
}

async function reload(daemon: Daemon, plan: ReloadPlan): Promise<string> {
  if (plan.jail !== undefined && plan.ifExists && !daemon.jailNames().includes(plan.jail)) return "OK";
  if (plan.unban) {
    const jails = plan.jail === undefined ? daemon.jailNames() : [plan.jail];
    for (const jail of jails) await daemon.unbanIps(await daemon.bannedIps(jail), jail);
  }
  await daemon.reload(plan.jail, { restart: plan.restart });
  return "OK";
}

/** Runs one client command against the daemon; returns the text to print and notes for standard error. */
export async function answerCommand(
  daemon: Daemon,
  argv: readonly string[],
  context: ControlContext = {},
): Promise<CommandAnswer> {
  const [command, ...rest] = argv;
  switch (command) {
    case "ping":
      return { output: "Server replied: pong" };
    case "version":
      return { output: VERSION };
    case "echo":
      return { output: rest.join(" ") };
    case "help":
      return { output: `Commands:${clientCommandHelp()}` };
    case "flushlogs":
      // the log file is reopened on every write (logrotate needs no signal): nothing to flush
      return { output: "logs: rolled over" };
    case "status":
      return { output: await status(daemon, rest) };
    case "banned":
      return { output: await banned(daemon, rest) };
    case "set": {
      const [what, ...values] = rest;
      if (!what) throw new CloudjailError("usage: set <JAIL> <OPTION> <VALUE> | set loglevel <LEVEL>");
      const server = serverSet(what, values[0], context);
      if (server !== undefined) return { output: server };
      const [option, ...optionValues] = values;
      if (!option) throw new CloudjailError(`usage: set ${what} <OPTION> <VALUE>`);
      return jailSet(daemon, what, option, optionValues);
    }
    case "get": {
      const [what, option, ...args] = rest;
      if (!what) throw new CloudjailError("usage: get <JAIL> <OPTION> | get loglevel|logtarget|dbfile|dbpurgeage");
      const server = serverGet(what, context);
      if (server !== undefined) return { output: server };
      if (!option) throw new CloudjailError(`usage: get ${what} <OPTION>`);
      return { output: await jailGet(daemon, what, option, args) };
    }
    case "unban": {
      if (rest.length === 1 && rest[0] === "--all") return { output: String(await daemon.unbanAll()) };
      if (rest.length === 0) throw new CloudjailError("usage: unban --all | unban <IP> ... <IP>");
      return { output: String(await daemon.unbanIps(rest.map(requireIp))) };
    }
    case "reload":
    case "restart":
      return { output: await reload(daemon, parseReload(command, rest)) };
    case "start": {
      const jail = rest[0];
      // Without a jail, the client answers (the server is running, since it answered): see cli/commands/client.ts.
      if (!jail || rest.length > 1) throw new CloudjailError("usage: start <JAIL>");
      if (daemon.jailNames().includes(jail)) throw new CloudjailError(`The jail '${jail}' already exists`);
      await daemon.reload(jail);
      return { output: "Jail started" };
    }
    case "stop": {
      if (rest.length === 0) {
        // Answer first, then shut down: the client gets its reply before the socket closes.
        setImmediate(() => void daemon.stop());
        return { output: "Shutdown successful" };
      }
      if (rest[0] === "--all") {
        for (const jail of daemon.jailNames()) await daemon.stopRunningJail(jail);
        return { output: "Jail stopped" };
      }
      await daemon.stopRunningJail(rest[0]!);
      return { output: "Jail stopped" };
    }
    default:
      throw new CloudjailError(`Invalid command '${argv.join(" ")}'; run 'cloudjail client help' for the commands`);
  }
}

/** The main status's line of jails that failed to build (empty when none), e.g. `Failed jails: nginx (...)`. */
function failedJailsEntry(daemon: Daemon): [string, string][] {
  const failed = [...daemon.failedJailReasons()];
  if (failed.length === 0) return [];
  return [["Failed jails", failed.map(([name, reason]) => `${name} (${reason})`).join("; ")]];
}

/** Runs one client command and returns only the text to print (tests, `--once` summaries). */
export async function executeCommand(
  daemon: Daemon,
  argv: readonly string[],
  context: ControlContext = {},
): Promise<string> {
  return (await answerCommand(daemon, argv, context)).output;
}

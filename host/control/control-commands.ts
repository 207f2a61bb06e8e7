// fail2ban-client's commands, answered by the daemon, with output shaped like fail2ban-client's so that scripts
// and habits carry over (`status`, `status sshd`, `set sshd banip 1.2.3.4`, `unban --all`, ...).
import { CloudjailError } from "../../shared/errors.js";
import { parseIp } from "../../shared/net/ip.js";
import type { Daemon } from "../daemon/daemon.js";

/** The commands understood, for `cloudjail client --help` and error messages. */
export const CLIENT_COMMANDS = [
  "ping",
  "status",
  "status <JAIL>",
  "set <JAIL> banip <IP> ...",
  "set <JAIL> unbanip <IP> ...",
  "set <JAIL> addignoreip <IP>",
  "get <JAIL> ignoreip",
  "unban <IP> ... | unban --all",
  "reload [--restart] [<JAIL>]",
  "stop",
];

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

function requireIp(text: string | undefined): string {
  if (text === undefined || !parseIp(text)) throw new CloudjailError(`'${text ?? ""}' is not a valid IP address`);
  return text;
}

/** Runs one client command against the daemon; returns the text to print. `stop` resolves before the shutdown. */
export async function executeCommand(daemon: Daemon, argv: readonly string[]): Promise<string> {
  const [command, ...rest] = argv;
  switch (command) {
    case "ping":
      return "Server replied: pong";
    case "status": {
      if (rest.length === 0) {
        const jails = daemon.jailNames();
        return `Status\n${tree([
          ["Number of jail", String(jails.length)],
          ["Jail list", jails.join(", ")],
          ...failedJailsEntry(daemon),
        ])}`;
      }
      const jail = rest[0]!;
      const failed = daemon.failedJailReasons().get(jail);
      if (failed !== undefined && !daemon.jailNames().includes(jail)) {
        throw new CloudjailError(`Jail '${jail}' failed: ${failed}`);
      }
      const pipeline = daemon.pipeline(jail);
      const problems = daemon.jailProblems(jail);
      const banned = await daemon.bannedIps(jail);
      const sources = pipeline.describeSources();
      return `Status for the jail: ${jail}\n${tree([
        [
          "Filter",
          [
            ["Currently failed", String(pipeline.currentlyFailed(daemon.now()))],
            ["Total failed", String(pipeline.stats.totalFailed)],
            sources.journal !== undefined
              ? ["Journal matches", sources.journal]
              : ["File list", sources.files.join(" ")],
          ],
        ],
        [
          "Actions",
          [
            ["Currently banned", String(banned.length)],
            ["Total banned", String(pipeline.stats.totalBanned)],
            ["Banned IP list", banned.join(" ")],
          ],
        ],
        ...(problems.length > 0 ? ([["Problems", problems.map((text) => ["WARNING", text] as const)]] as const) : []),
      ])}`;
    }
    case "set": {
      const [jail, verb, ...values] = rest;
      if (!jail || !verb) throw new CloudjailError("usage: set <JAIL> banip|unbanip|addignoreip <IP> ...");
      if (verb === "banip" || verb === "unbanip") {
        if (values.length === 0) throw new CloudjailError(`usage: set <JAIL> ${verb} <IP> ...`);
        const ips = values.map(requireIp);
        const count = verb === "banip" ? await daemon.banIps(jail, ips) : await daemon.unbanIps(ips, jail);
        if (verb === "unbanip" && count === 0) throw new CloudjailError(`${values.join(" ")} is not banned`);
        return String(count);
      }
      if (verb === "addignoreip") {
        const entry = values[0];
        if (!entry) throw new CloudjailError("usage: set <JAIL> addignoreip <IP>");
        return ignoreText(daemon.addIgnoreIp(jail, entry));
      }
      throw new CloudjailError(`unknown command: set ${jail} ${verb} (known: banip, unbanip, addignoreip)`);
    }
    case "get": {
      const [jail, what] = rest;
      if (!jail || what !== "ignoreip") throw new CloudjailError("usage: get <JAIL> ignoreip");
      return ignoreText(daemon.ignoreList(daemon.pipeline(jail).config));
    }
    case "unban": {
      if (rest.length === 1 && rest[0] === "--all") return String(await daemon.unbanAll());
      if (rest.length === 0) throw new CloudjailError("usage: unban --all | unban <IP> ...");
      return String(await daemon.unbanIps(rest.map(requireIp)));
    }
    case "reload": {
      // fail2ban-client's `reload --restart`: stop and start the actions even when nothing changed
      const restart = rest[0] === "--restart";
      const jails = restart ? rest.slice(1) : rest;
      if (jails.length > 1 || jails[0]?.startsWith("-")) throw new CloudjailError("usage: reload [--restart] [<JAIL>]");
      await daemon.reload(jails[0], { restart });
      return "OK";
    }
    case "stop": {
      // Answer first, then shut down: the client gets its reply before the socket closes.
      setImmediate(() => void daemon.stop());
      return "Shutdown successful";
    }
    default:
      throw new CloudjailError(`unknown command '${argv.join(" ")}'; commands: ${CLIENT_COMMANDS.join("; ")}`);
  }
}

/** The main status's line of jails that failed to build (empty when none), e.g. `Failed jails: nginx (...)`. */
function failedJailsEntry(daemon: Daemon): [string, string][] {
  const failed = [...daemon.failedJailReasons()];
  if (failed.length === 0) return [];
  return [["Failed jails", failed.map(([name, reason]) => `${name} (${reason})`).join("; ")]];
}

function ignoreText(entries: readonly string[]): string {
  if (entries.length === 0) return "No IP address/network is ignored";
  return `These IP addresses/networks are ignored:\n${entries
    .map((entry, index) => `${index === entries.length - 1 ? "`-" : "|-"} ${entry}`)
    .join("\n")}`;
}

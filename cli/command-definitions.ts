// The sub-commands of `cloudjail`: one table read by `cloudjail --help`, the man page and the shell completion.
// Each entry loads its module only when run, so that start-up stays fast.
import type { CommandContext } from "./command-context.js";

/** A sub-command's module. */
export type CommandModule = { run(argv: string[], context: CommandContext): Promise<number> };

/** One sub-command: its summary for --help, its module, and its full usage text (--help, man page, completion). */
export interface CommandDefinition {
  readonly summary: string;
  readonly load: () => Promise<CommandModule>;
  readonly usage: () => Promise<string>;
}

/** Every sub-command, in the order --help lists them. */
export const COMMANDS: Readonly<Record<string, CommandDefinition>> = {
  regex: {
    summary: "test a filter against a log file (like fail2ban-regex)",
    load: () => import("./commands/regex.js"),
    usage: async () => (await import("./regex/regex-args.js")).REGEX_USAGE,
  },
  replay: {
    summary: "run whole jails over past logs and print the bans they would make",
    load: () => import("./commands/replay.js"),
    usage: async () => (await import("./replay/replay-args.js")).REPLAY_USAGE,
  },
  server: {
    summary: "run the host-mode daemon in the foreground (like fail2ban-server)",
    load: () => import("./commands/server.js"),
    usage: async () => (await import("./commands/server.js")).SERVER_USAGE,
  },
  client: {
    summary: "talk to the running daemon: status, ban, unban, get, set, reload, stop (like fail2ban-client)",
    load: () => import("./commands/client.js"),
    usage: async () => (await import("./commands/client.js")).clientUsage(),
  },
  cloud: {
    summary: "admin commands of a deployed stack: status, ban, unban (through Lambda Invoke)",
    load: () => import("./commands/cloud.js"),
    usage: async () => (await import("./commands/cloud.js")).CLOUD_USAGE,
  },
  completion: {
    summary: "print the bash completion script (cloudjail completion bash)",
    load: () => import("./commands/completion.js"),
    usage: async () => (await import("./commands/completion.js")).COMPLETION_USAGE,
  },
  manpage: {
    summary: "print the man page cloudjail(1), in roff",
    load: () => import("./commands/manpage.js"),
    usage: async () => (await import("./commands/manpage.js")).MANPAGE_USAGE,
  },
};

/** The paths used when neither options nor fail2ban.conf say otherwise (fail2ban's, under cloudjail's name). */
export const DEFAULT_PATHS: readonly (readonly [what: string, path: string])[] = [
  ["configuration", "/etc/cloudjail (when it exists; else the bundled config/, every jail disabled)"],
  ["control socket", "/run/cloudjail/cloudjail.sock"],
  ["database", "/var/lib/cloudjail/cloudjail.sqlite3"],
  ["log", "/var/log/cloudjail.log"],
  ["pid file", "/run/cloudjail/cloudjail.pid"],
];

/** `cloudjail --help`. */
export function mainUsage(): string {
  const lines = ["usage: cloudjail <command> [options]", "", "commands:"];
  for (const [name, { summary }] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${summary}`);
  lines.push("", "default paths (host mode; fail2ban.conf/.local in the configuration tree may change them):");
  for (const [what, path] of DEFAULT_PATHS) lines.push(`  ${what.padEnd(15)} ${path}`);
  lines.push("", "Run `cloudjail <command> --help` for the options of a command; `man cloudjail` for all of them.");
  return lines.join("\n");
}

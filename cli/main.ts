// Entry point of the `cloudjail` command: picks the sub-command and loads only its module, so that start-up stays fast.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CloudjailError } from "../shared/errors.js";
import { VERSION } from "../shared/version.js";
import type { CommandContext } from "./command-context.js";
import { UsageError } from "./usage-error.js";

type CommandModule = { run(argv: string[], context: CommandContext): Promise<number> };

const distDir = dirname(fileURLToPath(import.meta.url));
const context: CommandContext = { distDir, bundledConfigDir: join(distDir, "..", "config") };

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  regex: {
    summary: "test a filter against a log file (like fail2ban-regex)",
    load: () => import("./commands/regex.js"),
  },
  replay: {
    summary: "run whole jails over past logs and print the bans they would make",
    load: () => import("./commands/replay.js"),
  },
  server: {
    summary: "run the host-mode daemon in the foreground (like fail2ban-server)",
    load: () => import("./commands/server.js"),
  },
  client: {
    summary: "talk to the running daemon: status, ban, unban, reload, stop (like fail2ban-client)",
    load: () => import("./commands/client.js"),
  },
  cloud: {
    summary: "admin commands of a deployed stack: status, ban, unban (through Lambda Invoke)",
    load: () => import("./commands/cloud.js"),
  },
};

function usage(): string {
  const lines = ["usage: cloudjail <command> [options]", "", "commands:"];
  for (const [name, { summary }] of Object.entries(commands)) lines.push(`  ${name.padEnd(8)} ${summary}`);
  lines.push("", "Run `cloudjail <command> --help` for the options of a command.");
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(`cloudjail ${VERSION}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`cloudjail: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  if (name !== "server") {
    // `cloudjail regex ... | head`: the reader went away. Stop quietly like a Unix filter, not with an unhandled
    // EPIPE. (The daemon keeps running whatever happens to its standard output.)
    process.stdout.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      process.exit(0);
    });
  }
  const module = await command.load();
  return module.run(rest, context);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`cloudjail: ${error.message}\n`);
      process.exitCode = 2;
    } else if (error instanceof CloudjailError) {
      process.stderr.write(`cloudjail: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(
        `cloudjail: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 70;
    }
  },
);

// Entry point of the `cloudjail` command: picks the sub-command and loads only its module, so that start-up stays fast.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CloudjailError } from "../shared/errors.js";
import { VERSION } from "../shared/version.js";
import type { CommandContext } from "./command-context.js";
import { COMMANDS, mainUsage } from "./command-definitions.js";
import { UsageError } from "./usage-error.js";

const distDir = dirname(fileURLToPath(import.meta.url));
const context: CommandContext = { distDir, bundledConfigDir: join(distDir, "..", "config") };

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${mainUsage()}\n`);
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(`cloudjail ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`cloudjail: unknown command '${name}'\n\n${mainUsage()}\n`);
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

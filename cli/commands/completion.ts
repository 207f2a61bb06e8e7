// `cloudjail completion bash`: prints the bash completion script generated from the command definitions.
import type { CommandContext } from "../command-context.js";
import { COMMANDS } from "../command-definitions.js";

import { UsageError } from "../usage-error.js";

/** `cloudjail completion --help`. */
export const COMPLETION_USAGE = `usage: cloudjail completion bash

Prints the bash completion script: sub-commands, their options, the client's commands and the running jails.
  cloudjail completion bash > /usr/share/bash-completion/completions/cloudjail

options:
  -h, --help          this help`;

/** Collects every sub-command's --help text (the completion and the man page are made from them). */
export async function allUsages(): Promise<Record<string, string>> {
  const usages: Record<string, string> = {};
  for (const [name, command] of Object.entries(COMMANDS)) usages[name] = await command.usage();
  return usages;
}

/** Prints the script. */
export async function run(argv: string[], _context: CommandContext): Promise<number> {
  if (argv[0] === "-h" || argv[0] === "--help") {
    process.stdout.write(`${COMPLETION_USAGE}\n`);
    return 0;
  }
  if (argv.length !== 1 || argv[0] !== "bash")
    throw new UsageError(`completion: only bash is supported\n\n${COMPLETION_USAGE}`);
  process.stdout.write((await import("../manual/bash-completion.js")).bashCompletion(await allUsages()));
  return 0;
}

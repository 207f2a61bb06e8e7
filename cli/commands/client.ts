// `cloudjail client`: fail2ban-client's commands, sent to the daemon over its root-only Unix socket.

import { sendCommand } from "../../host/control/control-client.js";
import { CLIENT_COMMANDS } from "../../host/control/control-commands.js";
import { readDaemonSettings } from "../../host/daemon/daemon-settings.js";
import type { CommandContext } from "../command-context.js";
import { UsageError } from "../usage-error.js";

const USAGE = `usage: cloudjail client [--socket PATH | --config DIR] <command>

commands:
${CLIENT_COMMANDS.map((command) => `  ${command}`).join("\n")}

The socket is taken from --socket, else from DIR/fail2ban.conf (default: the bundled config/).
`;

/** Sends one command and prints the answer like fail2ban-client: exit 0 on success, 255 on an error answer. */
export async function run(argv: string[], context: CommandContext): Promise<number> {
  let socket: string | undefined;
  let configDir: string | undefined;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (words.length === 0 && (arg === "-s" || arg === "--socket" || arg === "-c" || arg === "--config")) {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`client: ${arg} needs a value`);
      if (arg === "-s" || arg === "--socket") socket = value;
      else configDir = value;
    } else if (words.length === 0 && (arg === "-h" || arg === "--help")) {
      process.stdout.write(USAGE);
      return 0;
    } else words.push(arg);
  }
  if (words.length === 0) throw new UsageError(`client: no command given\n\n${USAGE}`);
  const path = socket ?? readDaemonSettings(configDir ?? context.bundledConfigDir).socket;
  const response = await sendCommand(path, words);
  if (response.ok) {
    process.stdout.write(`${response.output}\n`);
    return 0;
  }
  process.stderr.write(`ERROR  ${response.error}\n`);
  return 255;
}

// `cloudjail client`: fail2ban-client's commands, sent to the daemon over its root-only Unix socket.

import { clientCommandHelp } from "../../host/control/client-command-table.js";
import { sendCommand } from "../../host/control/control-client.js";
import { readDaemonSettings } from "../../host/daemon/daemon-settings.js";
import { CloudjailError } from "../../shared/errors.js";
import type { CommandContext } from "../command-context.js";
import { chooseConfigTree, describeConfigTree, SYSTEM_CONFIG_DIR } from "../config-tree.js";
import { UsageError } from "../usage-error.js";

/** `cloudjail client --help`. */
export function clientUsage(): string {
  return `usage: cloudjail client [--socket PATH | --config DIR] <command>

Sends fail2ban-client's commands to the running server. The socket is --socket, else the one named in
DIR/fail2ban.conf (DIR: --config, else ${SYSTEM_CONFIG_DIR} when it exists, else the bundled config/);
default /run/cloudjail/cloudjail.sock. Exit status: 0, or 255 when the server answers an error or cannot be
reached (as fail2ban-client), or 3 when the jail named failed to start (it is configured and not running).

options:
  -s, --socket PATH     control socket
  -c, --config DIR      configuration tree whose fail2ban.conf names the socket

commands:${clientCommandHelp()}
`;
}

/** The parsed command line of `cloudjail client`. */
export interface ClientPlan {
  readonly socket?: string;
  readonly configDir?: string;
  readonly words: readonly string[];
}

/** Parses `cloudjail client` arguments: options before the command, the command's words as typed. */
export function parseClientArgs(argv: readonly string[]): ClientPlan | "help" {
  let socket: string | undefined;
  let configDir: string | undefined;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (
      words.length === 0 &&
      (arg === "-s" || arg === "--socket" || arg === "-c" || arg === "--conf" || arg === "--config")
    ) {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`client: ${arg} needs a value`);
      if (arg === "-s" || arg === "--socket") socket = value;
      else configDir = value;
    } else if (words.length === 0 && (arg === "-h" || arg === "--help")) return "help";
    else if (words.length === 0 && arg.startsWith("-")) {
      throw new UsageError(`client: unknown option '${arg}' (options: --socket PATH, --config DIR, --help)`);
    } else words.push(arg);
  }
  if (words.length === 0) throw new UsageError(`client: no command given\n\n${clientUsage()}`);
  return { ...(socket !== undefined ? { socket } : {}), ...(configDir !== undefined ? { configDir } : {}), words };
}

/** Sends one command and prints the answer like fail2ban-client: exit 0 on success, 255 on an error answer. */
export async function run(argv: string[], context: CommandContext): Promise<number> {
  const plan = parseClientArgs(argv);
  if (plan === "help") {
    process.stdout.write(clientUsage());
    return 0;
  }
  const tree = chooseConfigTree(plan.configDir, context.bundledConfigDir);
  const path = plan.socket ?? readDaemonSettings(tree.dir).socket;
  const startServer = plan.words.length === 1 && plan.words[0] === "start";
  let response: Awaited<ReturnType<typeof sendCommand>>;
  try {
    response = await sendCommand(path, startServer ? ["ping"] : plan.words);
  } catch (error) {
    if (!(error instanceof CloudjailError)) throw error;
    const hint = startServer
      ? " Start it with 'systemctl start cloudjail' (or 'cloudjail server' in the foreground)."
      : "";
    process.stderr.write(
      `ERROR  ${error.message}${hint}\n       ${plan.socket ? "socket: --socket" : describeConfigTree(tree)}\n`,
    );
    return 255;
  }
  if (startServer && response.ok) {
    // fail2ban-client's answer when asked to start a server that runs
    process.stderr.write("ERROR  Server already running\n");
    return 255;
  }
  if (response.ok) {
    process.stdout.write(`${response.output}\n`);
    for (const note of response.notes ?? []) process.stderr.write(`NOTE   ${note}\n`);
    return 0;
  }
  process.stderr.write(`ERROR  ${response.error}\n`);
  return response.exitStatus ?? 255;
}

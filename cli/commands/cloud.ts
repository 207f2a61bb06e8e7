// `cloudjail cloud <command> [--function NAME] [--region R] [--stack S] [--outputs FILE] [--json]`: runs an admin
// command in a deployed stack through Lambda Invoke. The function is `--function`, else $CLOUDJAIL_ADMIN_FUNCTION,
// else the stack output written by `cdk deploy --outputs-file cdk-outputs.json`.
import { existsSync, readFileSync } from "node:fs";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import {
  type AdminCommand,
  AdminCommandError,
  parseAdminArgs,
  validateJailName,
} from "../../cloud/admin/admin-command.js";
import {
  ADMIN_FUNCTION_OUTPUT,
  type AdminResponse,
  INGEST_FUNCTION_OUTPUT,
  isAdminResponse,
} from "../../cloud/admin/admin-response.js";
import { awsCallProblem, quietSdkNodeVersionNotice } from "../../cloud/admin/aws-call-problem.js";
import type { BackfillReport } from "../../cloud/ingest/backfill.js";
import { CloudjailError } from "../../shared/errors.js";
import { UsageError } from "../usage-error.js";

export const CLOUD_USAGE = `usage: cloudjail cloud <command> [--function NAME] [--region R] [--stack S] [--outputs FILE] [--json]

commands:
  status [JAIL]                          the jails and their active bans (of one jail)
  banned                                 every active ban
  ban IP --jail J [--bantime T]          ban by hand (T: seconds or 10m, 1h, 2d; -1 permanent)
  unban IP (--jail J | --all)            lift a ban in one jail or in all
  backfill [--jail J ...]                run newly deployed jails over what their log groups logged within
                                         findtime before the subscription started (all jails by default)
  replay-failed [--queue URL]            run again the log deliveries the ingest function failed (see
                                         \`cloudjail cloud replay-failed --help\`)

The admin function is --function, else $CLOUDJAIL_ADMIN_FUNCTION, else the ${ADMIN_FUNCTION_OUTPUT} output in
cdk-outputs.json (written by \`npx cdk deploy --outputs-file cdk-outputs.json\`). backfill runs in the ingest
function instead: --function, else $CLOUDJAIL_INGEST_FUNCTION, else the ${INGEST_FUNCTION_OUTPUT} output.`;

/** \`cloudjail cloud backfill\`: the payload the ingest function accepts (see cloud/ingest/backfill.ts). */
export interface BackfillCommand {
  readonly backfill: { readonly jails?: readonly string[] };
}

/** What to run: the admin command (or a backfill) and where. */
export interface CloudInvocation {
  readonly command: AdminCommand | BackfillCommand;
  readonly functionName?: string;
  readonly region?: string;
  readonly stack?: string;
  readonly outputsFile: string;
  readonly json: boolean;
}

/** Splits the connection options from the admin command words and validates both. Throws UsageError. */
export function parseCloudArgv(argv: readonly string[]): CloudInvocation {
  const words: string[] = [];
  const options: Record<string, string> = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const [key, inline] = word.startsWith("--") ? word.slice(2).split(/=(.*)/s, 2) : [undefined, undefined];
    if (key === "json") {
      json = true;
    } else if (key === "function" || key === "region" || key === "stack" || key === "outputs") {
      const value = inline ?? argv[++i];
      if (!value) throw new UsageError(`--${key} needs a value`);
      options[key] = value;
    } else words.push(word);
  }
  if (options.function !== undefined && !/^[A-Za-z0-9_:.-]{1,170}$/.test(options.function)) {
    throw new UsageError(`--function must be a Lambda function name or ARN, got ${JSON.stringify(options.function)}`);
  }
  if (options.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(options.region)) {
    throw new UsageError(`--region must be an AWS Region such as eu-west-1, got ${JSON.stringify(options.region)}`);
  }
  let command: AdminCommand | BackfillCommand;
  try {
    command = words[0] === "backfill" ? parseBackfillArgs(words.slice(1)) : parseAdminArgs(words);
  } catch (error) {
    if (error instanceof AdminCommandError) throw new UsageError(`${error.message}\n\n${CLOUD_USAGE}`);
    throw error;
  }
  return {
    command,
    json,
    outputsFile: options.outputs ?? "cdk-outputs.json",
    ...(options.function ? { functionName: options.function } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.stack ? { stack: options.stack } : {}),
  };
}

/** `backfill [--jail J ...]`: jail names checked like the admin command's. */
function parseBackfillArgs(words: readonly string[]): BackfillCommand {
  const jails: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const inline = word.startsWith("--jail=") ? word.slice("--jail=".length) : undefined;
    if (word !== "--jail" && inline === undefined) {
      throw new AdminCommandError(`backfill: unexpected ${JSON.stringify(word)}; usage: backfill [--jail J ...]`);
    }
    jails.push(validateJailName(inline ?? words[++i], "--jail"));
  }
  return { backfill: jails.length > 0 ? { jails: [...new Set(jails)] } : {} };
}

function isBackfill(command: AdminCommand | BackfillCommand): command is BackfillCommand {
  return "backfill" in command;
}

/**
 * Finds the function to call: the flag, the environment, then the CDK outputs file (the admin function; the ingest
 * function for a backfill). Throws UsageError when none.
 */
export function resolveFunctionName(invocation: CloudInvocation, env: NodeJS.ProcessEnv = process.env): string {
  const backfill = isBackfill(invocation.command);
  const variable = backfill ? "CLOUDJAIL_INGEST_FUNCTION" : "CLOUDJAIL_ADMIN_FUNCTION";
  const outputName = backfill ? INGEST_FUNCTION_OUTPUT : ADMIN_FUNCTION_OUTPUT;
  if (invocation.functionName) return invocation.functionName;
  if (env[variable]) return env[variable];
  const file = invocation.outputsFile;
  if (existsSync(file)) {
    let outputs: Record<string, Record<string, unknown>>;
    try {
      outputs = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
    }
    const stacks = Object.entries(outputs ?? {}).filter(
      ([name, values]) => typeof values?.[outputName] === "string" && (!invocation.stack || name === invocation.stack),
    );
    if (stacks.length === 1) return stacks[0]![1][outputName] as string;
    if (stacks.length > 1) {
      throw new UsageError(
        `${file} lists several cloudjail stacks (${stacks.map(([n]) => n).join(", ")}): pick one with --stack`,
      );
    }
  }
  throw new UsageError(
    `no ${backfill ? "ingest" : "admin"} function: pass --function NAME, set ${variable}, or deploy with \`npx cdk deploy --outputs-file ${file}\``,
  );
}

/** Calls a function synchronously and decodes its JSON answer. Throws CloudjailError when the call fails. */
async function invokeJson(
  client: LambdaClient,
  functionName: string,
  payload: unknown,
  role: string,
): Promise<unknown> {
  const { InvokeCommand } = await import("@aws-sdk/client-lambda");
  const result = await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: "RequestResponse",
      Payload: Buffer.from(JSON.stringify(payload)),
    }),
  );
  const text = result.Payload ? Buffer.from(result.Payload).toString("utf8") : "";
  if (result.FunctionError) {
    throw new CloudjailError(
      `the ${role} function ${functionName} failed (${result.FunctionError}): ${text.slice(0, 2000)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CloudjailError(
      `the ${role} function ${functionName} answered something that is not JSON: ${text.slice(0, 200)}`,
    );
  }
}

/** Calls the admin function synchronously and decodes its answer. Throws CloudjailError when the call fails. */
export async function invokeAdmin(
  client: LambdaClient,
  functionName: string,
  command: AdminCommand,
): Promise<AdminResponse> {
  const decoded = await invokeJson(client, functionName, command, "admin");
  if (!isAdminResponse(decoded))
    throw new CloudjailError(`the admin function ${functionName} answered an unknown shape`);
  return decoded;
}

/** Runs a backfill in the ingest function and returns its report. Throws CloudjailError when the call fails. */
export async function invokeBackfill(
  client: LambdaClient,
  functionName: string,
  command: BackfillCommand,
): Promise<BackfillReport> {
  const decoded = (await invokeJson(client, functionName, command, "ingest")) as Partial<BackfillReport> | null;
  if (!Array.isArray(decoded?.logGroups) || !Array.isArray(decoded?.bans)) {
    throw new CloudjailError(`the ingest function ${functionName} answered no backfill report: is it cloudjail's?`);
  }
  return decoded as BackfillReport;
}

/** The report of a backfill for people: one line per log group, then the bans. */
export function formatBackfill(report: BackfillReport): string {
  const time = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
  const lines = report.logGroups.map((group) =>
    group.to <= group.from
      ? `${group.logGroup} (${group.jails.join(", ")}): nothing to read, the subscription started more than findtime ago`
      : `${group.logGroup} (${group.jails.join(", ")}): ${time(group.from)} to ${time(group.to)}: ${group.events} events, ${group.failures} failures (${group.duplicates} counted before), ${group.bans} bans`,
  );
  for (const ban of report.bans)
    lines.push(`ban ${ban.ip} in ${ban.jail} until ${ban.banUntil === null ? "forever" : time(ban.banUntil)}`);
  return lines.join("\n");
}

/** Entry point used by cli/main.ts. */
export function run(argv: string[]): Promise<number> {
  return runCloud(argv);
}

/** Runs `cloudjail cloud`; `client` is injectable for tests. Exit code 0 on success, 1 when the stack refused. */
export async function runCloud(argv: readonly string[], client?: LambdaClient): Promise<number> {
  // its own options and help (it reads a queue, not only a function)
  if (argv[0] === "replay-failed") {
    const { runReplayFailed } = await import("./cloud-replay-failed.js");
    return runReplayFailed(argv.slice(1), client ? { lambda: client } : {});
  }
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${CLOUD_USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const invocation = parseCloudArgv(argv);
  const functionName = resolveFunctionName(invocation);
  let lambda = client;
  if (!lambda) {
    quietSdkNodeVersionNotice();
    const { LambdaClient } = await import("@aws-sdk/client-lambda");
    lambda = new LambdaClient(invocation.region ? { region: invocation.region } : {});
  }
  try {
    return await invoke(lambda, functionName, invocation);
  } catch (error) {
    const problem = awsCallProblem(error, `the function ${functionName}`);
    if (!problem) throw error;
    process.stderr.write(`cloudjail cloud: ${problem.message}\n`);
    return problem.exitCode;
  }
}

async function invoke(lambda: LambdaClient, functionName: string, invocation: CloudInvocation): Promise<number> {
  const command = invocation.command;
  if (isBackfill(command)) {
    const report = await invokeBackfill(lambda, functionName, command);
    process.stdout.write(invocation.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatBackfill(report)}\n`);
    return 0;
  }
  const response = await invokeAdmin(lambda, functionName, command);
  if (!response.ok) {
    process.stderr.write(`cloudjail cloud: ${response.error}\n`);
    return 1;
  }
  process.stdout.write(
    invocation.json ? `${JSON.stringify(response.data, null, 2)}\n` : `${response.output.trimEnd()}\n`,
  );
  return 0;
}

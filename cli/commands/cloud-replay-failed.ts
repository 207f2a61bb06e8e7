// `cloudjail cloud replay-failed [--queue URL] [--function NAME] [--region R] [--stack S] [--outputs FILE]
// [--drop-unreplayable] [--json]`: runs again the log deliveries the ingest function failed, from its
// failed-deliveries queue (see cloud/ingest/failed-delivery-replay.ts). The queue is --queue, else
// $CLOUDJAIL_FAILED_DELIVERIES_QUEUE, else the stack output; the function likewise (the ingest function).
import { existsSync, readFileSync } from "node:fs";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { INGEST_FUNCTION_OUTPUT } from "../../cloud/admin/admin-response.js";
import { FAILED_DELIVERIES_OUTPUT } from "../../cloud/ingest/failed-delivery-record.js";
import type { ReplayOutcome } from "../../cloud/ingest/failed-delivery-replay.js";
import { CloudjailError } from "../../shared/errors.js";
import { UsageError } from "../usage-error.js";

export const REPLAY_FAILED_USAGE = `usage: cloudjail cloud replay-failed [--queue URL] [--function NAME] [--region R] [--stack S]
                                     [--outputs FILE] [--drop-unreplayable] [--json]

Runs again, through the ingest function, every log delivery that failed three times and waits in the stack's
failed-deliveries queue; each is deleted from the queue once it ran without error. Replaying is idempotent: events
already counted are not counted twice. Records that cannot be replayed (payload dropped by Lambda for its size) are
reported and kept, or deleted with --drop-unreplayable.

The queue is --queue, else $CLOUDJAIL_FAILED_DELIVERIES_QUEUE, else the ${FAILED_DELIVERIES_OUTPUT} output in
cdk-outputs.json; the function is --function, else $CLOUDJAIL_INGEST_FUNCTION, else the ${INGEST_FUNCTION_OUTPUT} output.`;

/** What to replay, and where from. */
export interface ReplayFailedInvocation {
  readonly queueUrl: string;
  readonly functionName: string;
  readonly region?: string;
  readonly dropUnreplayable: boolean;
  readonly json: boolean;
}

const QUEUE_URL =
  /^https:\/\/(sqs\.[a-z0-9-]+\.amazonaws\.com(\.cn)?|[a-z0-9.-]+(:\d+)?)\/\d{12}\/[A-Za-z0-9_-]{1,80}$/;

/** Parses the arguments after `replay-failed` and finds the queue and function. Throws UsageError. */
export function parseReplayFailedArgv(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ReplayFailedInvocation {
  const options: Record<string, string> = {};
  let json = false;
  let dropUnreplayable = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const [key, inline] = word.startsWith("--") ? word.slice(2).split(/=(.*)/s, 2) : [undefined, undefined];
    if (key === "json") json = true;
    else if (key === "drop-unreplayable") dropUnreplayable = true;
    else if (key === "queue" || key === "function" || key === "region" || key === "stack" || key === "outputs") {
      const value = inline ?? argv[++i];
      if (!value) throw new UsageError(`--${key} needs a value`);
      options[key] = value;
    } else throw new UsageError(`replay-failed: unexpected ${JSON.stringify(word)}\n\n${REPLAY_FAILED_USAGE}`);
  }
  if (options.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(options.region)) {
    throw new UsageError(`--region must be an AWS Region such as eu-west-1, got ${JSON.stringify(options.region)}`);
  }
  const outputsFile = options.outputs ?? "cdk-outputs.json";
  const queueUrl =
    options.queue ??
    env.CLOUDJAIL_FAILED_DELIVERIES_QUEUE ??
    stackOutput(outputsFile, FAILED_DELIVERIES_OUTPUT, options.stack) ??
    missing("failed-deliveries queue", "--queue URL", "CLOUDJAIL_FAILED_DELIVERIES_QUEUE", outputsFile);
  if (!QUEUE_URL.test(queueUrl)) {
    throw new UsageError(
      `the queue must be an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), got ${JSON.stringify(queueUrl)}`,
    );
  }
  const functionName =
    options.function ??
    env.CLOUDJAIL_INGEST_FUNCTION ??
    stackOutput(outputsFile, INGEST_FUNCTION_OUTPUT, options.stack) ??
    missing("ingest function", "--function NAME", "CLOUDJAIL_INGEST_FUNCTION", outputsFile);
  if (!/^[A-Za-z0-9_:.-]{1,170}$/.test(functionName)) {
    throw new UsageError(`--function must be a Lambda function name or ARN, got ${JSON.stringify(functionName)}`);
  }
  return {
    queueUrl,
    functionName,
    dropUnreplayable,
    json,
    ...(options.region ? { region: options.region } : {}),
  };
}

function missing(what: string, flag: string, variable: string, file: string): never {
  throw new UsageError(
    `no ${what}: pass ${flag}, set ${variable}, or deploy with \`npx cdk deploy --outputs-file ${file}\``,
  );
}

/** One output of the single cloudjail stack (or of `stack`) in a `cdk deploy --outputs-file` file. */
function stackOutput(file: string, outputName: string, stack: string | undefined): string | undefined {
  if (!existsSync(file)) return undefined;
  let outputs: Record<string, Record<string, unknown>>;
  try {
    outputs = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const stacks = Object.entries(outputs ?? {}).filter(
    ([name, values]) => typeof values?.[outputName] === "string" && (!stack || name === stack),
  );
  if (stacks.length > 1) {
    throw new UsageError(
      `${file} lists several cloudjail stacks (${stacks.map(([n]) => n).join(", ")}): pick one with --stack`,
    );
  }
  return stacks[0]?.[1][outputName] as string | undefined;
}

/** One line per record for people. */
export function formatOutcome(outcome: ReplayOutcome): string {
  const record = outcome.record;
  const what = record
    ? `${record.requestId} (${record.delivery ? `${record.delivery.logGroup}, ${record.delivery.events} events, ` : ""}${record.condition} at ${record.timestamp}${record.error ? `: ${record.error}` : ""})`
    : `message ${outcome.messageId}`;
  switch (outcome.status) {
    case "replayed":
      return `replayed ${what}`;
    case "failed":
      return `FAILED ${what}: ${outcome.reason}`;
    case "unreplayable":
      return `${outcome.dropped ? "DROPPED" : "KEPT"} ${what}: ${outcome.reason}`;
  }
}

/**
 * Runs the replay; clients are injectable for tests. Exit code 0 when every record was replayed (or the queue was
 * empty), 1 when any record failed again or is kept unreplayed: the alarm stays on until the queue is empty.
 */
export async function runReplayFailed(
  argv: readonly string[],
  clients: { readonly sqs?: SQSClient; readonly lambda?: LambdaClient } = {},
): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${REPLAY_FAILED_USAGE}\n`);
    return 0;
  }
  const invocation = parseReplayFailedArgv(argv);
  const config = invocation.region ? { region: invocation.region } : {};
  const sqs = clients.sqs ?? new (await import("@aws-sdk/client-sqs")).SQSClient(config);
  const lambda = clients.lambda ?? new (await import("@aws-sdk/client-lambda")).LambdaClient(config);
  const { replayFailedDeliveries } = await import("../../cloud/ingest/failed-delivery-replay.js");
  let outcomes: ReplayOutcome[];
  try {
    outcomes = await replayFailedDeliveries(
      { sqs, lambda },
      {
        queueUrl: invocation.queueUrl,
        functionName: invocation.functionName,
        dropUnreplayable: invocation.dropUnreplayable,
      },
      (outcome) => {
        if (!invocation.json) process.stdout.write(`${formatOutcome(outcome)}\n`);
      },
    );
  } catch (error) {
    // the queue itself failed (missing, access denied, no network, no credentials): say which, without a stack trace
    throw new CloudjailError(
      `replay-failed: the failed-deliveries queue ${invocation.queueUrl} could not be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const count = (status: ReplayOutcome["status"]) => outcomes.filter((outcome) => outcome.status === status).length;
  const summary = {
    replayed: count("replayed"),
    failed: count("failed"),
    kept: outcomes.filter((outcome) => outcome.status === "unreplayable" && !outcome.dropped).length,
    dropped: outcomes.filter((outcome) => outcome.status === "unreplayable" && outcome.dropped).length,
  };
  if (invocation.json) {
    // the deliveries themselves (base64 gzip) are left out: where they came from is what a script needs
    const records = outcomes.map(({ record, ...rest }) => {
      if (!record) return rest;
      const { delivery, ...about } = record;
      return {
        ...rest,
        record: { ...about, ...(delivery ? { logGroup: delivery.logGroup, events: delivery.events } : {}) },
      };
    });
    process.stdout.write(`${JSON.stringify({ ...summary, outcomes: records }, null, 2)}\n`);
  } else {
    process.stdout.write(
      outcomes.length === 0
        ? "the failed-deliveries queue is empty: nothing to replay\n"
        : `${summary.replayed} replayed, ${summary.failed} failed again, ${summary.kept} kept, ${summary.dropped} dropped\n`,
    );
  }
  return summary.failed + summary.kept > 0 ? 1 : 0;
}

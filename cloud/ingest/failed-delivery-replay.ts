// Replays the deliveries the ingest function failed: reads the on-failure records from the failed-deliveries queue,
// invokes the ingest function with each delivery synchronously (so that its outcome is known), and deletes a message
// only once its delivery ran without error. Replaying is idempotent like Lambda's own redelivery: the store counts
// each log event id once, so a delivery replayed twice, or replayed after it finally succeeded, bans no one twice.
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import {
  type FailedDeliveryRecord,
  FailedDeliveryRecordError,
  parseFailedDeliveryRecord,
} from "./failed-delivery-record.js";

/** Where to replay from and to. */
export interface ReplayTarget {
  readonly queueUrl: string;
  /** The ingest function (name or ARN): records of any other function are refused. */
  readonly functionName: string;
  /** Delete records that can never be replayed (after reporting them). @default false: they stay for a person */
  readonly dropUnreplayable?: boolean;
}

/** What happened to one message. */
export type ReplayOutcome =
  | { readonly status: "replayed"; readonly messageId: string; readonly record: FailedDeliveryRecord }
  | {
      readonly status: "failed";
      readonly messageId: string;
      readonly record: FailedDeliveryRecord;
      readonly reason: string;
    }
  | {
      readonly status: "unreplayable";
      readonly messageId: string;
      readonly record?: FailedDeliveryRecord;
      readonly reason: string;
      readonly dropped: boolean;
    };

/**
 * Seconds a received record stays hidden while the run goes on: the records that failed again stay hidden until the
 * end of the run (so that the run ends when the queue shows nothing new), then are made visible at once.
 */
export const REPLAY_VISIBILITY_SECONDS = 900;
/** Long polling: SQS then asks every server, where a short poll may answer "empty" while messages wait. */
const WAIT_SECONDS = 2;

const functionNameOf = (nameOrArn: string) => nameOrArn.split(":function:").pop()!.split(":")[0]!;

/**
 * Replays every record in the queue once; `onOutcome` hears about each as it is done. A record that failed again,
 * or cannot be replayed (and is not dropped), is made visible again when the run ends, so that a second run after a
 * fix sees it. Errors of the queue itself (missing queue, access denied) are thrown.
 */
export async function replayFailedDeliveries(
  clients: { readonly sqs: SQSClient; readonly lambda: LambdaClient },
  target: ReplayTarget,
  onOutcome: (outcome: ReplayOutcome) => void = () => {},
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  // records kept in the queue, by message id: the latest receipt handle (only that one can change the visibility)
  const held = new Map<string, string>();
  const expected = functionNameOf(target.functionName);
  try {
    for (;;) {
      const received = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: target.queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: REPLAY_VISIBILITY_SECONDS,
          WaitTimeSeconds: WAIT_SECONDS,
        }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) return outcomes;
      for (const message of messages) {
        const id = message.MessageId!;
        // a record held since an earlier receive of this run, visible again after a long run: held, not rerun
        if (held.has(id)) {
          held.set(id, message.ReceiptHandle!);
          continue;
        }
        const outcome = await replayOne(clients, target, expected, message);
        if (outcome.status !== "replayed" && !(outcome.status === "unreplayable" && outcome.dropped)) {
          held.set(id, message.ReceiptHandle!);
        }
        outcomes.push(outcome);
        onOutcome(outcome);
      }
    }
  } finally {
    for (const receiptHandle of held.values()) {
      await clients.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: target.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }
  }
}

async function replayOne(
  clients: { readonly sqs: SQSClient; readonly lambda: LambdaClient },
  target: ReplayTarget,
  expected: string,
  message: Message,
): Promise<ReplayOutcome> {
  const messageId = message.MessageId!;
  let record: FailedDeliveryRecord;
  try {
    record = parseFailedDeliveryRecord(message.Body ?? "");
  } catch (error) {
    if (!(error instanceof FailedDeliveryRecordError)) throw error;
    return unreplayable(clients.sqs, target, message, undefined, `not an on-failure record: ${error.message}`);
  }
  if (record.functionName !== expected) {
    return unreplayable(
      clients.sqs,
      target,
      message,
      record,
      `a record of the function ${record.functionName}, not of ${expected}`,
    );
  }
  if (!record.delivery) return unreplayable(clients.sqs, target, message, record, record.unreplayable!);
  let reason: string | undefined;
  try {
    const result = await clients.lambda.send(
      new InvokeCommand({
        FunctionName: target.functionName,
        InvocationType: "RequestResponse",
        Payload: Buffer.from(JSON.stringify(record.delivery.payload)),
      }),
    );
    if (result.FunctionError) {
      const text = result.Payload ? Buffer.from(result.Payload).toString("utf8") : "";
      reason = `the ingest function failed again (${result.FunctionError}): ${text.slice(0, 500)}`;
    }
  } catch (error) {
    reason = `the ingest function could not be invoked: ${(error as Error).message}`;
  }
  if (reason !== undefined) return { status: "failed", messageId, record, reason };
  try {
    await clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: target.queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  } catch (error) {
    // replayed, but still queued: a later replay runs it once more, which counts nothing twice
    return {
      status: "failed",
      messageId,
      record,
      reason: `replayed, but the message could not be deleted (a later replay is harmless): ${(error as Error).message}`,
    };
  }
  return { status: "replayed", messageId, record };
}

async function unreplayable(
  sqs: SQSClient,
  target: ReplayTarget,
  message: Message,
  record: FailedDeliveryRecord | undefined,
  reason: string,
): Promise<ReplayOutcome> {
  const dropped = target.dropUnreplayable === true;
  if (dropped) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: target.queueUrl, ReceiptHandle: message.ReceiptHandle }));
  }
  return { status: "unreplayable", messageId: message.MessageId!, ...(record ? { record } : {}), reason, dropped };
}

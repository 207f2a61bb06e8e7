// An in-memory standard SQS queue that keeps the rules a consumer meets: a received message is hidden for its
// visibility timeout and comes back afterwards; every receive hands out a new receipt handle, and only the latest one
// deletes the message or changes its visibility (an older handle's DeleteMessage "succeeds" without deleting, as SQS
// documents); parameter ranges (MaxNumberOfMessages 1-10, VisibilityTimeout 0-43200, WaitTimeSeconds 0-20); a
// message body of at most 256 KiB; unknown queues do not exist. Time is the fake's own clock, moved by the test.
import { randomUUID } from "node:crypto";
import {
  ChangeMessageVisibilityCommand,
  type ChangeMessageVisibilityCommandInput,
  DeleteMessageCommand,
  type DeleteMessageCommandInput,
  MessageNotInflight,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageCommand,
  type SendMessageCommandInput,
  SQSClient,
  SQSServiceException,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";

/** SQS's largest message body (the limit a Lambda destination record must fit in). */
export const SQS_MAX_BODY_BYTES = 256 * 1024;

/** One message as the queue holds it. */
export interface FakeMessage {
  readonly messageId: string;
  readonly body: string;
  /** The fake clock's second at which it is visible again. */
  visibleAt: number;
  /** The handle of its latest receive (undefined: never received). */
  receiptHandle?: string;
  receiveCount: number;
}

const invalid = (message: string) =>
  new SQSServiceException({ name: "InvalidParameterValue", $fault: "client", message, $metadata: {} });
const metadata = { $metadata: { httpStatusCode: 400 } };

/** An SQSClient whose calls reach one in-memory queue. */
export class FakeSqs {
  readonly client = new SQSClient({ region: "eu-west-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
  readonly queueUrl = "https://sqs.eu-west-1.amazonaws.com/123456789012/cloudjail-failed-deliveries";
  readonly messages: FakeMessage[] = [];
  /** The fake clock, seconds. */
  now = 1_000_000;
  /** Every call, in order. */
  readonly calls: { operation: string; input: unknown }[] = [];
  /** Makes the next DeleteMessage calls fail (access denied), to test a replay whose delete fails. */
  failDeletes = 0;

  constructor(mockTarget: SQSClient | typeof SQSClient = this.client) {
    mockClient(mockTarget)
      .on(SendMessageCommand)
      .callsFake(async (input: SendMessageCommandInput) => this.send(input))
      .on(ReceiveMessageCommand)
      .callsFake(async (input: ReceiveMessageCommandInput) => this.receive(input))
      .on(DeleteMessageCommand)
      .callsFake(async (input: DeleteMessageCommandInput) => this.delete(input))
      .on(ChangeMessageVisibilityCommand)
      .callsFake(async (input: ChangeMessageVisibilityCommandInput) => this.changeVisibility(input));
  }

  /** Messages not deleted, visible or not. */
  get depth(): number {
    return this.messages.length;
  }

  /** Messages a receive would return now. */
  get visible(): number {
    return this.messages.filter((message) => message.visibleAt <= this.now).length;
  }

  private checkQueue(url: string | undefined, operation: string): void {
    this.calls.push({ operation, input: url });
    if (url !== this.queueUrl) {
      throw new QueueDoesNotExist({ message: "The specified queue does not exist.", ...metadata });
    }
  }

  private send(input: SendMessageCommandInput) {
    this.checkQueue(input.QueueUrl, "SendMessage");
    const body = input.MessageBody ?? "";
    if (body === "" || Buffer.byteLength(body) > SQS_MAX_BODY_BYTES) {
      throw invalid(`message body must be 1 to ${SQS_MAX_BODY_BYTES} bytes`);
    }
    const messageId = randomUUID();
    this.messages.push({ messageId, body, visibleAt: this.now, receiveCount: 0 });
    return { MessageId: messageId };
  }

  private receive(input: ReceiveMessageCommandInput) {
    this.checkQueue(input.QueueUrl, "ReceiveMessage");
    const max = input.MaxNumberOfMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) throw invalid("MaxNumberOfMessages must be 1 to 10");
    const visibility = input.VisibilityTimeout ?? 30;
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > 43_200) {
      throw invalid("VisibilityTimeout must be 0 to 43200");
    }
    const wait = input.WaitTimeSeconds ?? 0;
    if (!Number.isInteger(wait) || wait < 0 || wait > 20) throw invalid("WaitTimeSeconds must be 0 to 20");
    const taken = this.messages.filter((message) => message.visibleAt <= this.now).slice(0, max);
    return {
      Messages: taken.map((message) => {
        message.visibleAt = this.now + visibility;
        message.receiptHandle = `rh-${randomUUID()}`;
        message.receiveCount++;
        return { MessageId: message.messageId, ReceiptHandle: message.receiptHandle, Body: message.body };
      }),
    };
  }

  private byHandle(handle: string | undefined): FakeMessage | undefined {
    if (!handle?.startsWith("rh-")) {
      throw new ReceiptHandleIsInvalid({ message: "The input receipt handle is invalid.", ...metadata });
    }
    return this.messages.find((message) => message.receiptHandle === handle);
  }

  private delete(input: DeleteMessageCommandInput) {
    this.checkQueue(input.QueueUrl, "DeleteMessage");
    if (this.failDeletes > 0) {
      this.failDeletes--;
      throw new SQSServiceException({
        name: "AccessDenied",
        $fault: "client",
        message: "Access to the resource is denied",
        $metadata: {},
      });
    }
    const message = this.byHandle(input.ReceiptHandle);
    // a stale handle (received again since) or a deleted message: success, nothing deleted
    if (message) this.messages.splice(this.messages.indexOf(message), 1);
    return {};
  }

  private changeVisibility(input: ChangeMessageVisibilityCommandInput) {
    this.checkQueue(input.QueueUrl, "ChangeMessageVisibility");
    const visibility = input.VisibilityTimeout;
    if (visibility === undefined || visibility < 0 || visibility > 43_200) {
      throw invalid("VisibilityTimeout must be 0 to 43200");
    }
    const message = this.byHandle(input.ReceiptHandle);
    if (!message) throw new ReceiptHandleIsInvalid({ message: "The receipt handle has expired.", ...metadata });
    if (message.visibleAt <= this.now) {
      throw new MessageNotInflight({ message: "The message referred to isn't in flight.", ...metadata });
    }
    message.visibleAt = this.now + visibility;
    return {};
  }
}

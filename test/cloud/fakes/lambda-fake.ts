// An in-memory Lambda service for one function, keeping the rules the replay relies on: Invoke names an existing
// function (name, ARN, or ARN with qualifier), the payload is JSON of at most 6 MB for a synchronous call, a handler
// that throws answers StatusCode 200 with FunctionError "Unhandled" and an error payload. Asynchronous invocations are
// queued and run by `runAsyncQueue()` as Lambda does: the first attempt plus `retryAttempts` retries; an event that
// still fails goes to the on-failure destination as the documented invocation record (version, timestamp,
// requestContext, requestPayload, responseContext, responsePayload), its payload dropped when the record would not fit
// the destination.
import { randomUUID } from "node:crypto";
import {
  InvalidRequestContentException,
  InvokeCommand,
  type InvokeCommandInput,
  LambdaClient,
  RequestTooLargeException,
  ResourceNotFoundException,
} from "@aws-sdk/client-lambda";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";

const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
const metadata = { $metadata: { httpStatusCode: 400 } };

/** Where the on-failure records go: a queue reached through an SQS client (the fake's). */
export interface OnFailureQueue {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly maxBodyBytes: number;
}

/** One function, its handler and its asynchronous invocation settings. */
export class FakeLambda {
  readonly client = new LambdaClient({ region: "eu-west-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
  readonly functionArn: string;
  /** Events invoked with InvocationType "Event", waiting for `runAsyncQueue`. */
  readonly asyncQueue: unknown[] = [];
  /** Every handler run: sync or async, and whether it threw. */
  readonly runs: { type: "sync" | "async"; ok: boolean }[] = [];

  constructor(
    readonly functionName: string,
    private readonly handler: (event: unknown) => Promise<unknown>,
    private readonly asyncConfig: { readonly retryAttempts: number; readonly onFailure?: OnFailureQueue },
  ) {
    this.functionArn = `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`;
    mockClient(this.client)
      .on(InvokeCommand)
      .callsFake(async (input: InvokeCommandInput) => this.invoke(input));
  }

  private invoke(input: InvokeCommandInput) {
    const name = input.FunctionName ?? "";
    const unqualified = name.replace(/:(\$LATEST|\d+|[A-Za-z][\w-]*)$/, "").replace(/^.*:function:/, "");
    if (name !== this.functionName && unqualified !== this.functionName) {
      throw new ResourceNotFoundException({ message: `Function not found: ${name}`, Type: "User", ...metadata });
    }
    const payload = input.Payload;
    const text =
      payload === undefined
        ? "{}"
        : typeof payload === "string"
          ? payload
          : Buffer.from(payload as Uint8Array).toString("utf8");
    if (Buffer.byteLength(text) > SYNC_PAYLOAD_LIMIT) {
      throw new RequestTooLargeException({
        message: "Request must be smaller than 6291456 bytes",
        Type: "User",
        ...metadata,
      });
    }
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      throw new InvalidRequestContentException({
        message: "Could not parse request body into json",
        Type: "User",
        ...metadata,
      });
    }
    if (input.InvocationType === "Event") {
      this.asyncQueue.push(event);
      return { StatusCode: 202 };
    }
    return this.runSync(event);
  }

  private async runSync(event: unknown) {
    try {
      const result = await this.handler(event);
      this.runs.push({ type: "sync", ok: true });
      return { StatusCode: 200, ExecutedVersion: "$LATEST", Payload: Buffer.from(JSON.stringify(result ?? null)) };
    } catch (error) {
      this.runs.push({ type: "sync", ok: false });
      const payload = { errorType: (error as Error).name, errorMessage: (error as Error).message, trace: [] };
      return {
        StatusCode: 200,
        ExecutedVersion: "$LATEST",
        FunctionError: "Unhandled",
        Payload: Buffer.from(JSON.stringify(payload)),
      };
    }
  }

  /** Runs the queued asynchronous events with Lambda's retries; returns how many ended in the destination. */
  async runAsyncQueue(): Promise<number> {
    let failed = 0;
    while (this.asyncQueue.length > 0) {
      const event = this.asyncQueue.shift();
      let lastError: Error | undefined;
      let attempts = 0;
      for (; attempts <= this.asyncConfig.retryAttempts; attempts++) {
        try {
          await this.handler(event);
          this.runs.push({ type: "async", ok: true });
          lastError = undefined;
          break;
        } catch (error) {
          this.runs.push({ type: "async", ok: false });
          lastError = error as Error;
        }
      }
      if (lastError) {
        failed++;
        await this.recordFailure(event, lastError, attempts);
      }
    }
    return failed;
  }

  private async recordFailure(event: unknown, error: Error, attempts: number): Promise<void> {
    const destination = this.asyncConfig.onFailure;
    if (!destination) return;
    const record = {
      version: "1.0",
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: randomUUID(),
        functionArn: `${this.functionArn}:$LATEST`,
        condition: "RetriesExhausted",
        approximateInvokeCount: attempts,
      },
      requestPayload: event as unknown,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: error.name, errorMessage: error.message, trace: [] } as unknown,
    };
    let body = JSON.stringify(record);
    if (Buffer.byteLength(body) > destination.maxBodyBytes) {
      // what Lambda does when the record does not fit the destination: the payloads are dropped
      const { requestPayload: _request, responsePayload: _response, ...rest } = record;
      body = JSON.stringify(rest);
    }
    await destination.sqs.send(new SendMessageCommand({ QueueUrl: destination.queueUrl, MessageBody: body }));
  }
}

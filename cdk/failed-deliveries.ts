// Where a log delivery goes when the ingest function failed it three times (the first try and two retries) or it
// waited too long: an encrypted SQS queue, the on-failure destination of the function's asynchronous invocations.
// `cloudjail cloud replay-failed` reads it and runs each delivery again (cloud/ingest/failed-delivery-replay.ts).
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

/** Properties of {@link FailedDeliveries}. */
export interface FailedDeliveriesProps {
  /** The function whose failed asynchronous invocations are kept. */
  readonly ingestFunction: lambda.Function;
  /** Retries before a delivery is given up. @default 2 (Lambda's own default) */
  readonly retryAttempts?: number;
  /** Age after which an undelivered event is given up. @default one hour */
  readonly maxEventAge?: Duration;
}

/** The on-failure destination of the ingest function. */
export class FailedDeliveries extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: FailedDeliveriesProps) {
    super(scope, id);
    // SQS-managed encryption: Lambda writes the record with the function's own role, which then needs no KMS grant;
    // 14 days (the longest SQS keeps a message) leave time to fix the cause and replay.
    this.queue = new sqs.Queue(this, "Queue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const queueArn = this.queue.queueArn;
    // The destination by ARN, with exactly the one permission Lambda uses to write the record (SqsDestination would
    // also grant GetQueueAttributes and GetQueueUrl).
    props.ingestFunction.configureAsyncInvoke({
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
      onFailure: { bind: () => ({ destination: queueArn }) },
    });
    props.ingestFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["sqs:SendMessage"], resources: [queueArn] }),
    );
  }
}

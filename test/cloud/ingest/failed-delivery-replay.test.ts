// A delivery the ingest function fails three times lands in the failed-deliveries queue as Lambda's on-failure record,
// and the replay runs it again: the real ingest pipeline (sshd filter in its worker, store on DynamoDB Local, targets
// on the fake WAF/EC2), a fake Lambda service that retries and writes the documented record, a fake SQS queue that
// keeps visibility and receipt-handle rules. The outage is real: the jail table is deleted, then created again.
import { CreateTableCommand, DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DeploymentConfig } from "../../../cloud/deployment/deployment-config.js";
import { parseFailedDeliveryRecord } from "../../../cloud/ingest/failed-delivery-record.js";
import { replayFailedDeliveries } from "../../../cloud/ingest/failed-delivery-replay.js";
import { type IngestReport, ingestDelivery } from "../../../cloud/ingest/ingest-delivery.js";
import { guardedLineMatcher } from "../../../cloud/ingest/log-filter-matcher.js";
import { dynamoDbTableDefinition } from "../../../cloud/store/dynamodb-table.js";
import { loadDelivery } from "../../support/cloudwatch-events.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../support/dynamodb-local.js";
import { FakeLambda } from "../fakes/lambda-fake.js";
import { FakeSqs, SQS_MAX_BODY_BYTES } from "../fakes/sqs-fake.js";
import { sshdDeployment } from "../fakes/sshd-deployment.js";
import { createTestCloud, type TestCloud } from "../fakes/test-cloud.js";

// The fixture's events are dated 2025-11-21 05:00:01..04 UTC (3 failures of 192.0.2.10; maxretry 2 bans it).
const ARRIVAL = 1_763_701_260;
const FUNCTION = "cloudjail-ingest";

describe("failed deliveries, replayed", () => {
  let local: DynamoDbLocal;
  let workerPath: string;
  let deployment: DeploymentConfig;
  let cloud: TestCloud;
  let sqs: FakeSqs;
  let lambda: FakeLambda;
  let reports: IngestReport[];

  const ingest = async (event: unknown) => {
    const { runtime } = cloud;
    const metrics = runtime.metrics();
    try {
      const report = await ingestDelivery(event, { ...runtime, metrics });
      reports.push(report);
      return undefined;
    } finally {
      metrics.flush();
    }
  };
  const makeLambda = (maxBodyBytes = SQS_MAX_BODY_BYTES) =>
    new FakeLambda(FUNCTION, ingest, {
      retryAttempts: 2,
      onFailure: { sqs: sqs.client, queueUrl: sqs.queueUrl, maxBodyBytes },
    });
  const storeDown = async () => {
    const client = local.client();
    await client.send(new DeleteTableCommand({ TableName: cloud.runtime.settings.tableName }));
    client.destroy();
  };
  const storeBack = async () => {
    const client = local.client();
    await client.send(new CreateTableCommand(dynamoDbTableDefinition(cloud.runtime.settings.tableName)));
    client.destroy();
  };
  /** CloudWatch Logs delivers asynchronously: Invoke with InvocationType Event, then Lambda runs its queue. */
  const deliver = async (event: unknown) => {
    const accepted = await lambda.client.send(
      new InvokeCommand({
        FunctionName: FUNCTION,
        InvocationType: "Event",
        Payload: Buffer.from(JSON.stringify(event)),
      }),
    );
    expect(accepted.StatusCode).toBe(202);
    return lambda.runAsyncQueue();
  };
  const replay = (dropUnreplayable = false) =>
    replayFailedDeliveries(
      { sqs: sqs.client, lambda: lambda.client },
      { queueUrl: sqs.queueUrl, functionName: FUNCTION, dropUnreplayable },
    );

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    ({ deployment, workerPath } = await sshdDeployment("/ec2/web/auth.log", { maxRetry: 2 }));
  });
  afterAll(async () => {
    await local?.stop();
  });
  beforeEach(async () => {
    cloud?.destroy();
    cloud = await createTestCloud(local, deployment, {
      now: ARRIVAL,
      ttl: false,
      matcherFactory: (jail) => guardedLineMatcher(jail, workerPath),
    });
    sqs = new FakeSqs();
    lambda = makeLambda();
    reports = [];
  });

  it("lands as the documented on-failure record after three attempts, and the replay bans and empties the queue", async () => {
    await storeDown();
    expect(await deliver(loadDelivery("sshd-auth"))).toBe(1);
    expect(lambda.runs).toEqual([
      { type: "async", ok: false },
      { type: "async", ok: false },
      { type: "async", ok: false },
    ]);
    expect(sqs.depth).toBe(1);
    const record = parseFailedDeliveryRecord(sqs.messages[0]!.body);
    expect(record).toMatchObject({
      functionName: FUNCTION,
      condition: "RetriesExhausted",
      invokeCount: 3,
      delivery: { logGroup: "/ec2/web/auth.log", events: 4 },
    });
    expect(record.error).toMatch(/^Unhandled: .*DynamoDB .* failed/);
    expect(cloud.enforced().ipv4).toEqual([]);

    await storeBack();
    const outcomes = await replay();
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["replayed"]);
    expect(sqs.depth).toBe(0);
    expect(reports.at(-1)).toMatchObject({ failures: 3, duplicates: 0 });
    expect((await cloud.runtime.runner.activeBans(ARRIVAL)).map((ban) => ban.ip)).toEqual(["192.0.2.10"]);
    expect(cloud.enforced()).toEqual({ ipv4: ["192.0.2.10/32"], ipv6: [], nacl: ["192.0.2.10/32"] });
    // nothing left: a second run replays nothing
    expect(await replay()).toEqual([]);
  });

  it("is idempotent: a replayed delivery whose delete failed runs again later and counts nothing twice", async () => {
    await storeDown();
    await deliver(loadDelivery("sshd-auth"));
    await storeBack();
    sqs.failDeletes = 1;
    const first = await replay();
    expect(first).toEqual([
      expect.objectContaining({ status: "failed", reason: expect.stringMatching(/replayed, but .* not be deleted/) }),
    ]);
    expect(sqs.depth).toBe(1);
    expect(sqs.visible).toBe(1); // made visible again when the run ended
    const second = await replay();
    expect(second.map((outcome) => outcome.status)).toEqual(["replayed"]);
    expect(sqs.depth).toBe(0);
    // the second run meets events already counted: no new failure counted, no second ban
    const [firstRun, secondRun] = reports;
    expect(firstRun).toMatchObject({ failures: 3, duplicates: 0 });
    expect(firstRun!.bans).toHaveLength(1);
    expect(secondRun!.duplicates).toBeGreaterThan(0);
    expect(secondRun!.bans).toEqual([]);
    const active = await cloud.runtime.runner.activeBans(ARRIVAL);
    expect(active.map((ban) => [ban.ip, ban.banUntil])).toEqual([["192.0.2.10", firstRun!.bans[0]!.banUntil]]);
  });

  it("keeps a delivery that fails again, visible at once for the next run, and reruns it once per run", async () => {
    await storeDown();
    await deliver(loadDelivery("sshd-auth"));
    const outcomes = await replay();
    expect(outcomes).toEqual([
      expect.objectContaining({
        status: "failed",
        reason: expect.stringMatching(/failed again \(Unhandled\).*DynamoDB/),
      }),
    ]);
    expect(lambda.runs.filter((run) => run.type === "sync")).toEqual([{ type: "sync", ok: false }]);
    expect(sqs.depth).toBe(1);
    expect(sqs.visible).toBe(1);
    await storeBack();
    expect((await replay()).map((outcome) => outcome.status)).toEqual(["replayed"]);
    expect(sqs.depth).toBe(0);
  });

  it("reports a record whose payload Lambda dropped, keeps it, and deletes it only when asked", async () => {
    lambda = makeLambda(600); // too small for the delivery: Lambda drops the payloads from the record
    await storeDown();
    await deliver(loadDelivery("sshd-auth"));
    expect(sqs.depth).toBe(1);
    const kept = await replay();
    expect(kept).toEqual([
      expect.objectContaining({
        status: "unreplayable",
        dropped: false,
        reason: expect.stringMatching(/no request payload.*cannot be replayed.*cloudjail cloud ban/),
      }),
    ]);
    expect(sqs.depth).toBe(1);
    expect(lambda.runs.filter((run) => run.type === "sync")).toEqual([]);
    const dropped = await replay(true);
    expect(dropped).toEqual([expect.objectContaining({ status: "unreplayable", dropped: true })]);
    expect(sqs.depth).toBe(0);
  });

  it("refuses a record of another function and a message that is no record, running nothing", async () => {
    const other = {
      version: "1.0",
      timestamp: "2026-12-07T10:00:00.000Z",
      requestContext: {
        requestId: "r-1",
        functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:someone-else:$LATEST",
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: loadDelivery("sshd-auth"),
    };
    await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: JSON.stringify(other) }));
    await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: "hello" }));
    const outcomes = await replay();
    expect(outcomes.map((outcome) => [outcome.status, "reason" in outcome ? outcome.reason : ""])).toEqual([
      ["unreplayable", "a record of the function someone-else, not of cloudjail-ingest"],
      ["unreplayable", 'not an on-failure record: not JSON: "hello"'],
    ]);
    expect(lambda.runs).toEqual([]);
    expect(sqs.depth).toBe(2);
  });

  it("fails loudly on a queue that does not exist", async () => {
    await expect(
      replayFailedDeliveries(
        { sqs: sqs.client, lambda: lambda.client },
        { queueUrl: `${sqs.queueUrl}-gone`, functionName: FUNCTION },
      ),
    ).rejects.toThrow(/queue does not exist/);
  });
});

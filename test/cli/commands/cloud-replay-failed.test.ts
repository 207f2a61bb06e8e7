// `cloudjail cloud replay-failed`: finding the queue and the function, what it prints, its exit status. The queue and
// the function are the fakes that keep SQS's and Lambda's rules (the pipeline itself is replayed in
// test/cloud/ingest/failed-delivery-replay.test.ts).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runCloud } from "../../../cli/commands/cloud.js";
import { parseReplayFailedArgv, runReplayFailed } from "../../../cli/commands/cloud-replay-failed.js";
import { UsageError } from "../../../cli/usage-error.js";
import { CloudjailError } from "../../../shared/errors.js";
import { FakeLambda } from "../../cloud/fakes/lambda-fake.js";
import { FakeSqs, SQS_MAX_BODY_BYTES } from "../../cloud/fakes/sqs-fake.js";
import { loadDelivery } from "../../support/cloudwatch-events.js";

const QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/cloudjail-failed-deliveries";

describe("parseReplayFailedArgv", () => {
  const outputs = join(mkdtempSync(join(tmpdir(), "cloudjail-outputs-")), "cdk-outputs.json");
  writeFileSync(
    outputs,
    JSON.stringify({
      Cloudjail: { CloudjailFailedDeliveriesQueueUrl: QUEUE, CloudjailIngestFunctionName: "Cloudjail-Ingest-1" },
    }),
  );

  it.each([
    [["--queue", QUEUE, "--function", "f"], {}, { queueUrl: QUEUE, functionName: "f", dropUnreplayable: false }],
    [["--outputs", outputs], {}, { queueUrl: QUEUE, functionName: "Cloudjail-Ingest-1" }],
    [["--outputs", outputs, "--stack", "Cloudjail", "--json"], {}, { json: true }],
    [
      ["--drop-unreplayable", "--region", "eu-west-1"],
      { CLOUDJAIL_FAILED_DELIVERIES_QUEUE: QUEUE, CLOUDJAIL_INGEST_FUNCTION: "g" },
      { dropUnreplayable: true, region: "eu-west-1", functionName: "g" },
    ],
  ])("%j %j", (argv, env, expected) => {
    expect(parseReplayFailedArgv(argv, env)).toMatchObject(expected);
  });

  it.each([
    [["--function", "f", "--outputs", "/nonexistent/cdk-outputs.json"], /no failed-deliveries queue: pass --queue URL/],
    [["--queue", QUEUE, "--outputs", "/nonexistent/cdk-outputs.json"], /no ingest function: pass --function NAME/],
    [["--queue", "https://example.com/q; rm -rf /", "--function", "f"], /must be an SQS queue URL/],
    [["--queue", QUEUE, "--function", "f x"], /--function must be a Lambda function name/],
    [["--queue", QUEUE, "--function", "f", "--region", "mars"], /--region must be an AWS Region/],
    [["--queue"], /--queue needs a value/],
    [["--queue", QUEUE, "--function", "f", "extra"], /unexpected "extra"/],
    [["--outputs", outputs, "--stack", "Other"], /no failed-deliveries queue/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseReplayFailedArgv(argv, {})).toThrow(UsageError);
    expect(() => parseReplayFailedArgv(argv, {})).toThrow(message);
  });
});

describe("runReplayFailed", () => {
  let sqs: FakeSqs;
  let out: string[];
  let healthy: boolean;
  let lambda: FakeLambda;

  beforeEach(() => {
    sqs = new FakeSqs();
    out = [];
    healthy = false;
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    lambda = new FakeLambda(
      "cloudjail-ingest",
      async () => {
        if (!healthy) throw new Error("DynamoDB PutItem on table jails failed: throttled");
        return null;
      },
      { retryAttempts: 2, onFailure: { sqs: sqs.client, queueUrl: sqs.queueUrl, maxBodyBytes: SQS_MAX_BODY_BYTES } },
    );
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const failDelivery = async () => {
    await lambda.client.send(
      new InvokeCommand({
        FunctionName: "cloudjail-ingest",
        InvocationType: "Event",
        Payload: Buffer.from(JSON.stringify(loadDelivery("sshd-auth"))),
      }),
    );
    expect(await lambda.runAsyncQueue()).toBe(1);
  };
  const args = ["--queue", QUEUE, "--function", "cloudjail-ingest"];
  const run = (extra: string[] = []) =>
    runReplayFailed([...args, ...extra], { sqs: sqs.client, lambda: lambda.client });

  it("says the queue is empty and exits 0", async () => {
    expect(await run()).toBe(0);
    expect(out.join("")).toBe("the failed-deliveries queue is empty: nothing to replay\n");
  });

  it("exits 1 while a delivery fails again, naming it and the error; 0 once it is replayed", async () => {
    await failDelivery();
    expect(await run()).toBe(1);
    expect(out.join("")).toMatch(
      /^FAILED [\w-]+ \(\/ec2\/web\/auth\.log, 4 events, RetriesExhausted at [\dT:.Z-]+: Unhandled: Error: DynamoDB PutItem .*throttled\): the ingest function failed again \(Unhandled\)/,
    );
    expect(out.join("")).toMatch(/0 replayed, 1 failed again, 0 kept, 0 dropped\n$/);
    expect(sqs.depth).toBe(1);
    healthy = true;
    out = [];
    expect(await run()).toBe(0);
    expect(out.join("")).toMatch(/^replayed [\w-]+ \(\/ec2\/web\/auth\.log, 4 events, RetriesExhausted/);
    expect(out.join("")).toMatch(/1 replayed, 0 failed again, 0 kept, 0 dropped\n$/);
    expect(sqs.depth).toBe(0);
  });

  it("prints JSON without the deliveries themselves", async () => {
    await failDelivery();
    healthy = true;
    expect(await run(["--json"])).toBe(0);
    const report = JSON.parse(out.join(""));
    expect(report).toMatchObject({ replayed: 1, failed: 0, kept: 0, dropped: 0 });
    expect(report.outcomes[0]).toMatchObject({
      status: "replayed",
      record: { functionName: "cloudjail-ingest", logGroup: "/ec2/web/auth.log", events: 4 },
    });
    expect(out.join("")).not.toContain("awslogs");
  });

  it("names the queue and the reason when the queue cannot be read", async () => {
    const gone = "https://sqs.eu-west-1.amazonaws.com/123456789012/deleted-queue";
    await expect(
      runReplayFailed(["--queue", gone, "--function", "cloudjail-ingest"], { sqs: sqs.client, lambda: lambda.client }),
    ).rejects.toThrow(
      new CloudjailError(
        `replay-failed: the failed-deliveries queue ${gone} could not be read: The specified queue does not exist.`,
      ),
    );
  });

  it("is reached through `cloudjail cloud replay-failed`", async () => {
    expect(await runCloud(["replay-failed", "--help"])).toBe(0);
    expect(out.join("")).toMatch(/^usage: cloudjail cloud replay-failed/);
  });
});

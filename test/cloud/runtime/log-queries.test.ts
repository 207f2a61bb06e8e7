// The Logs Insights query the README gives for "bans in the last hour by jail", checked against the lines the ingest
// pipeline really writes (real sshd filter, DynamoDB Local): its filter and parse clauses must find every ban, and
// nothing else, under the field names the log lines carry.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeploymentConfig } from "../../../cloud/deployment/deployment-config.js";
import { ingestDelivery } from "../../../cloud/ingest/ingest-delivery.js";
import { guardedLineMatcher } from "../../../cloud/ingest/log-filter-matcher.js";
import { loadDelivery } from "../../support/cloudwatch-events.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../support/dynamodb-local.js";
import { sshdDeployment } from "../fakes/sshd-deployment.js";
import { createTestCloud, type TestCloud } from "../fakes/test-cloud.js";

const ARRIVAL = 1_763_701_260;
const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

describe("the README's Logs Insights query for bans by jail", () => {
  let local: DynamoDbLocal;
  let cloud: TestCloud;
  let deployment: DeploymentConfig;
  let workerPath: string;

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    ({ deployment, workerPath } = await sshdDeployment("/ec2/web/auth.log", { maxRetry: 2 }));
    cloud = await createTestCloud(local, deployment, {
      now: ARRIVAL,
      ttl: false,
      matcherFactory: (jail) => guardedLineMatcher(jail, workerPath),
    });
    const { runtime } = cloud;
    runtime.beginInvocation({ functionName: "cloudjail-ingest", awsRequestId: "request-1" });
    const metrics = runtime.metrics();
    await ingestDelivery(loadDelivery("sshd-auth"), { ...runtime, metrics }).finally(() => metrics.flush());
  }, 120_000);
  afterAll(async () => {
    cloud?.destroy();
    await local?.stop();
  });

  it("is in the README with the clauses this test evaluates", () => {
    expect(readme).toContain('filter service = "cloudjail" and message like /^ban /');
    expect(readme).toContain('| parse message "ban * in *" as ip, jail');
    expect(readme).toContain("| stats count(*) as bans by jail");
  });

  it("finds each ban once, by jail, in lines that carry Powertools' fields", () => {
    // filter service = "cloudjail" and message like /^ban /
    const matched = cloud.lines.filter(
      (line) => line.service === "cloudjail" && typeof line.message === "string" && /^ban /.test(line.message),
    );
    // parse message "ban * in *" as ip, jail (Logs Insights' '*' is a lazy wildcard, anchored at both ends)
    const parsed = matched.map((line) => (line.message as string).match(/^ban (.*?) in (.*)$/));
    expect(parsed.every((match) => match !== null)).toBe(true);
    const byJail = new Map<string, number>();
    for (const match of parsed) byJail.set(match![2]!, (byJail.get(match![2]!) ?? 0) + 1);
    expect([...byJail]).toEqual([["sshd", 1]]);
    expect(parsed[0]![1]).toBe("192.0.2.10");
    expect(matched[0]).toMatchObject({
      level: "info",
      service: "cloudjail",
      cold_start: true,
      function_name: "cloudjail-ingest",
      function_request_id: "request-1",
    });
    expect(matched[0]!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("agrees with the Bans metric the same run wrote (EMF, dimensions Stack, service, Jail)", () => {
    const emf = cloud.lines.filter((line) => "_aws" in line && "Bans" in line);
    expect(emf).toEqual([expect.objectContaining({ Stack: expect.any(String), service: "cloudjail", Jail: "sshd" })]);
    const [set] = (emf[0]!._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics;
    expect(set!.Dimensions).toEqual([["Stack", "service", "Jail"]]);
    expect(emf[0]!.Bans).toBe(1);
  });
});

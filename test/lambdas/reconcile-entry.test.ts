// The reconcile function's entry point on DynamoDB Local, without reserved concurrency: a run that finds the lease
// held by another run skips (and says so in its log) without touching the bans; with the lease free it runs and
// gives the lease back; two runs started together make one run and one skip.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DeploymentConfig } from "../../cloud/deployment/deployment-config.js";
import { RECONCILE_LEASE_KEY } from "../../cloud/reconcile/reconcile-lease.js";
import { ENV } from "../../cloud/runtime/runtime-settings.js";
import { dynamoDbTableDefinition } from "../../cloud/store/dynamodb-table.js";
import { testJail } from "../cloud/fakes/test-cloud.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../support/dynamodb-local.js";

type Handler = () => Promise<{ unbans: number; activeBans: number; failures: number; skipped?: true }>;

describe("reconcile entry point and its lease", () => {
  let local: DynamoDbLocal;
  let handler: Handler;
  const tableName = `reconcile-entry-${process.pid}`;
  const saved = { ...process.env };
  const logged: string[] = [];

  const leaseItem = async () => {
    const client = local.client();
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: RECONCILE_LEASE_KEY.pk }, sk: { S: RECONCILE_LEASE_KEY.sk } },
        ConsistentRead: true,
      }),
    );
    client.destroy();
    return { holder: Item?.holder?.S, until: Number(Item?.until?.N) };
  };

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    const client = local.client();
    await client.send(new CreateTableCommand(dynamoDbTableDefinition(tableName)));
    client.destroy();
    const deployment: DeploymentConfig = { version: 1, jails: [testJail("sshd", ["/ec2/auth.log"])] };
    const file = join(mkdtempSync(join(tmpdir(), "cloudjail-reconcile-")), "deployment.json");
    writeFileSync(file, JSON.stringify(deployment));
    Object.assign(process.env, {
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
      CLOUDJAIL_DEPLOYMENT_FILE: file,
      [ENV.table]: tableName,
      [ENV.label]: "entry",
    });
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      logged.push(String(chunk));
      return true;
    });
    handler = (await import("../../lambdas/reconcile.js")).handler as Handler;
  }, 120_000);
  afterAll(async () => {
    vi.restoreAllMocks();
    process.env = saved;
    await local?.stop();
  });

  it("skips while another run holds the lease, saying so, and leaves that lease alone", async () => {
    const client = local.client();
    const until = Math.floor(Date.now() / 1000) + 50;
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: RECONCILE_LEASE_KEY.pk },
          sk: { S: RECONCILE_LEASE_KEY.sk },
          holder: { S: "other-run" },
          until: { N: String(until) },
        },
      }),
    );
    client.destroy();
    logged.length = 0;
    expect(await handler()).toEqual({ unbans: 0, activeBans: 0, failures: 0, skipped: true });
    expect(logged.join("")).toContain("another reconcile run holds the lease: this one skips");
    expect(await leaseItem()).toEqual({ holder: "other-run", until });
  });

  it("runs once the lease is free, and gives it back", async () => {
    const client = local.client();
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: RECONCILE_LEASE_KEY.pk },
          sk: { S: RECONCILE_LEASE_KEY.sk },
          holder: { S: "other-run" },
          until: { N: "0" },
        },
      }),
    );
    client.destroy();
    const result = await handler();
    expect(result.skipped).toBeUndefined();
    const lease = await leaseItem();
    expect(lease.holder).not.toBe("other-run");
    expect(lease.until).toBe(0);
  });

  it("makes one run and one skip of two runs started together", async () => {
    const results = await Promise.all([handler(), handler()]);
    expect(results.filter((result) => result.skipped)).toHaveLength(1);
    expect((await leaseItem()).until).toBe(0);
  });
});

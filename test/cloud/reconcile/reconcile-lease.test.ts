// The reconcile lease on DynamoDB Local: one run at a time without reserved concurrency, a crashed holder's lease
// lapses, a late release never frees another run's lease, and the lease item stays out of the store's reads.
import { CreateTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RECONCILE_LEASE_SECONDS, ReconcileLease } from "../../../cloud/reconcile/reconcile-lease.js";
import { dynamoDbTableDefinition } from "../../../cloud/store/dynamodb-table.js";
import { dynamoDbStore } from "../../../cloud/store/sdk-document-table.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../support/dynamodb-local.js";

const NOW = 1_800_000_000;

describe("ReconcileLease", () => {
  let local: DynamoDbLocal;
  let client: DynamoDBClient;
  let tableName: string;
  let tables = 0;
  let holders = 0;
  const lease = () => new ReconcileLease(client, tableName, () => `run-${++holders}`);

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    client = local.client();
  });
  afterAll(async () => {
    client?.destroy();
    await local?.stop();
  });
  beforeEach(async () => {
    tableName = `lease-${process.pid}-${++tables}`;
    await client.send(new CreateTableCommand(dynamoDbTableDefinition(tableName)));
  });

  it("lets one of two overlapping runs in; the other skips until the first releases", async () => {
    const a = lease();
    const b = lease();
    expect(await a.acquire(NOW)).toBe(true);
    expect(await b.acquire(NOW + 1)).toBe(false);
    expect(await b.acquire(NOW + RECONCILE_LEASE_SECONDS - 1)).toBe(false);
    expect(await a.release(NOW + 20)).toBeUndefined();
    expect(await b.acquire(NOW + 21)).toBe(true);
    expect(await a.acquire(NOW + 22)).toBe(false);
  });

  it("lets four runs started at once through one at a time, never two", async () => {
    const runs = [lease(), lease(), lease(), lease()];
    const granted = await Promise.all(runs.map((run) => run.acquire(NOW)));
    expect(granted.filter(Boolean)).toHaveLength(1);
  });

  it("lapses after RECONCILE_LEASE_SECONDS when the holder died without releasing", async () => {
    const crashed = lease();
    expect(await crashed.acquire(NOW)).toBe(true);
    const next = lease();
    expect(await next.acquire(NOW + RECONCILE_LEASE_SECONDS - 1)).toBe(false);
    expect(await next.acquire(NOW + RECONCILE_LEASE_SECONDS)).toBe(true);
  });

  it("never releases a lease another run took after this one's lapsed", async () => {
    const slow = lease();
    expect(await slow.acquire(NOW)).toBe(true);
    const next = lease();
    expect(await next.acquire(NOW + RECONCILE_LEASE_SECONDS + 5)).toBe(true);
    // the slow run ends late and releases: the other run's lease stays
    expect(await slow.release(NOW + RECONCILE_LEASE_SECONDS + 6)).toBeUndefined();
    expect(await lease().acquire(NOW + RECONCILE_LEASE_SECONDS + 7)).toBe(false);
  });

  it("fails loudly (throws) when the table cannot be reached, instead of skipping", async () => {
    const missing = new ReconcileLease(client, `${tableName}-missing`);
    await expect(missing.acquire(NOW)).rejects.toThrow(/reconcile lease on table .*-missing/);
  });

  it("reports a failed release instead of throwing (the run's work is done; the lease lapses)", async () => {
    // the connection breaks after the lease was taken
    let calls = 0;
    const flaky = {
      send: (command: never) => (++calls === 1 ? client.send(command) : Promise.reject(new Error("connection reset"))),
    } as unknown as DynamoDBClient;
    const run = new ReconcileLease(flaky, tableName);
    expect(await run.acquire(NOW)).toBe(true);
    expect(await run.release(NOW + 5)).toMatch(/not released \(it lapses by itself\): connection reset/);
    expect(await lease().acquire(NOW + 6)).toBe(false);
    expect(await lease().acquire(NOW + RECONCILE_LEASE_SECONDS)).toBe(true);
  });

  it("stays out of the store's reads (no active-bans index attribute, its own partition)", async () => {
    expect(await lease().acquire(NOW)).toBe(true);
    const store = dynamoDbStore(client, tableName);
    expect(await store.activeBans(NOW)).toEqual([]);
    expect(await store.dueBans(NOW + 10 * RECONCILE_LEASE_SECONDS)).toEqual([]);
  });
});

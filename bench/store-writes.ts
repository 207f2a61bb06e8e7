// DynamoDB writes per 1,000 failures, from the store's own request counters, on a real DynamoDB Local.
// Workloads: a mixed attack (many addresses, a few heavy hitters, parallel Lambdas, 10% of the events redelivered),
// one failure per call and in batches of 50; the worst case (every failure counted, none banned); and 8 parallel
// writers on a single address.
import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { dynamoDbTableDefinition, dynamoDbTimeToLive } from "../cloud/store/dynamodb-table.js";
import { dynamoDbStore } from "../cloud/store/sdk-document-table.js";
import type { Failure } from "../shared/jail/decision.js";
import { makeJailPolicy } from "../shared/jail/jail-policy.js";
import { JailRunner } from "../shared/jail/jail-runner.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../test/support/dynamodb-local.js";
import type { BenchRow } from "./bench-row.js";

// Near the real clock: the table has TTL on, and items stamped in the real past could be deleted during the run.
const T0 = Math.floor(Date.now() / 1000);
const policy = makeJailPolicy("sshd", { maxRetry: 5, findTime: 600, banTime: 600 });

/**
 * Measures DynamoDB write requests (successful plus rejected compare-and-sets) per 1,000 matched failures.
 * Starts DynamoDB Local unless `local` is given; lines that match no filter never reach the store, so they are
 * not part of the workload (they cost nothing by construction).
 */
export async function benchStoreWrites(local?: DynamoDbLocal): Promise<BenchRow[]> {
  const server = local ?? (await startDynamoDbLocal());
  try {
    const mixed = await measure(server, "DynamoDB writes per 1,000 failures", mixedAttack(), 4, 1);
    const batched = await measure(server, "DynamoDB writes per 1,000 failures, batches of 50", mixedAttack(), 4, 50);
    return [
      mixed.row,
      mixed.unitsRow,
      batched.row,
      (await measure(server, "DynamoDB writes per 1,000 failures, worst case (none banned)", belowMaxRetry(), 4, 1))
        .row,
      (await measure(server, "DynamoDB writes per 1,000 failures, 8 writers on one address", oneAddress(), 8, 1)).row,
    ];
  } finally {
    if (!local) await server.stop();
  }
}

async function measure(
  server: DynamoDbLocal,
  name: string,
  failures: Failure[],
  writers: number,
  batchSize: number,
): Promise<{ row: BenchRow; unitsRow: BenchRow }> {
  const tableName = `bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const admin = server.client();
  await admin.send(new CreateTableCommand(dynamoDbTableDefinition(tableName)));
  await admin.send(new UpdateTimeToLiveCommand(dynamoDbTimeToLive(tableName)));
  admin.destroy();
  const clients: DynamoDBClient[] = [];
  const stores = Array.from({ length: writers }, () => {
    const client = server.client();
    clients.push(client);
    return dynamoDbStore(client, tableName);
  });
  // Batches of consecutive failures go round-robin to the writers, like parallel Lambda invocations; a batch is
  // judged at the time of its last failure, a single failure at its own time.
  const batches: Failure[][] = [];
  for (let i = 0; i < failures.length; i += batchSize) batches.push(failures.slice(i, i + batchSize));
  const outcomes = new Map<string, number>();
  await Promise.all(
    stores.map(async (store, index) => {
      const runner = new JailRunner({ store, jails: [policy] });
      for (let i = index; i < batches.length; i += writers) {
        const batch = batches[i]!;
        const now = Math.max(...batch.map((failure) => failure.time));
        for (const outcome of await runner.recordFailures(batch, now)) {
          outcomes.set(outcome.kind, (outcomes.get(outcome.kind) ?? 0) + 1);
        }
      }
    }),
  );
  for (const client of clients) client.destroy();
  const totals = { writes: 0, conflicts: 0, reads: 0, writeUnits: 0 };
  for (const counters of stores.map((store) => store.counters())) {
    totals.writes += counters.writes;
    totals.conflicts += counters.conflicts;
    totals.reads += counters.reads;
    totals.writeUnits += counters.writeUnits;
  }
  const perThousand = (count: number) => Math.round((count / failures.length) * 1000 * 10) / 10;
  const kinds = [...outcomes].map(([kind, count]) => `${count} ${kind}`).join(", ");
  return {
    row: {
      name,
      value: perThousand(totals.writes + totals.conflicts),
      unit: "writes",
      note: `${failures.length} failures (${kinds}); ${totals.writes} writes + ${totals.conflicts} rejected, ${totals.reads} reads, ${writers} writers, batches of ${batchSize}`,
    },
    unitsRow: {
      name: `${name.replace("writes", "write capacity units")}`,
      value: perThousand(totals.writeUnits),
      unit: "WCU",
      note: "successful writes only, table and index, as DynamoDB Local reports them (items carry up to maxmatches lines)",
    },
  };
}

// A deterministic pseudo-random sequence, so every run measures the same workload.
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** 1,000 deliveries over 10 minutes: 540 failures of 5 heavy hitters, 360 of 200 addresses, then 100 redelivered. */
function mixedAttack(): Failure[] {
  const random = generator(42);
  const failures: Failure[] = [];
  let id = 0;
  for (let i = 0; i < 540; i++) failures.push(failure(`198.51.100.${i % 5}`, random() * 600, id++));
  for (let i = 0; i < 360; i++) failures.push(failure(`203.0.113.${Math.floor(random() * 200)}`, random() * 600, id++));
  failures.sort((a, b) => a.time - b.time);
  const redelivered = failures.filter((_, i) => i % 9 === 0).slice(0, 100);
  return [...failures, ...redelivered];
}

/** 1,000 failures from 250 addresses, 4 each within findtime: every one is counted, nobody reaches maxretry. */
function belowMaxRetry(): Failure[] {
  const failures: Failure[] = [];
  for (let round = 0; round < 4; round++) {
    for (let host = 0; host < 250; host++)
      failures.push(failure(`2001:db8::${host.toString(16)}`, round * 60 + host / 10, round * 250 + host));
  }
  return failures;
}

/** 1,000 failures of a single address within one second, written by 8 writers at once. */
function oneAddress(): Failure[] {
  return Array.from({ length: 1000 }, (_, i) => failure("192.0.2.200", i / 1000, i));
}

function failure(ip: string, offset: number, id: number): Failure {
  return { jail: "sshd", ip, time: T0 + offset, eventId: `event-${id}`, line: `Failed password for root from ${ip}` };
}

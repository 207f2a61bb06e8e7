// One reconcile run at a time, without reserved concurrency: a lease item in the jail table. EventBridge delivers a
// scheduled event at least once, and a late or repeated delivery can start a second run while the first is still
// writing the targets; the second run finds the lease held and skips (the first one does the same work). A run that
// dies (timeout, crash) cannot release its lease: it lapses after RECONCILE_LEASE_SECONDS, longer than the function's
// timeout, so a holder is always finished, one way or the other, when its lease lapses; at most one run is skipped.
//
// The item lives in its own partition (`pk = "LEASE#reconcile"`), apart from the store's `F#...` items, and carries
// no index attribute. One conditional PutItem takes or releases it: no other permission is needed.
import { randomUUID } from "node:crypto";
import { ConditionalCheckFailedException, type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { CloudjailError } from "../../shared/errors.js";

/** How long a lease holds: longer than the reconcile function's timeout (55 s, see cdk/function-settings.ts). */
export const RECONCILE_LEASE_SECONDS = 60;
/** The key of the lease item. */
export const RECONCILE_LEASE_KEY = { pk: "LEASE#reconcile", sk: "LEASE" } as const;
/** Lease items are garbage a day after they lapse (TTL, not correctness). */
const KEEP_SECONDS = 24 * 3600;

/** The lease of one container; `holder` tells runs apart (a fresh id per acquisition). */
export class ReconcileLease {
  private holder: string | undefined;

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly newHolder: () => string = randomUUID,
  ) {}

  /**
   * Takes the lease at `now` (epoch seconds) when it is free or lapsed: true when this run may go on, false when
   * another run holds it. DynamoDB errors are thrown (the run must fail loudly, not skip).
   */
  async acquire(now: number): Promise<boolean> {
    const holder = this.newHolder();
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: leaseItem(holder, now + RECONCILE_LEASE_SECONDS),
          ConditionExpression: "attribute_not_exists(pk) OR #until <= :now",
          ExpressionAttributeNames: { "#until": "until" },
          ExpressionAttributeValues: { ":now": { N: String(now) } },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new CloudjailError(`reconcile lease on table ${this.tableName}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.holder = holder;
    return true;
  }

  /**
   * Gives the lease back so that the next run need not wait for it to lapse. Only the holder's own lease is released
   * (a lease that lapsed and was taken by another run is left alone). A failure is returned, not thrown: the run's
   * work is done, and the lease lapses by itself; the caller logs it.
   */
  async release(now: number): Promise<string | undefined> {
    const holder = this.holder;
    if (holder === undefined) return undefined;
    this.holder = undefined;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          // until 0: free at once; the item itself is garbage a day later
          Item: leaseItem(holder, 0, now),
          ConditionExpression: "holder = :me",
          ExpressionAttributeValues: { ":me": { S: holder } },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error))
        return `reconcile lease not released (it lapses by itself): ${(error as Error).message}`;
    }
    return undefined;
  }
}

/** The lease item held by `holder` until `until` (epoch seconds); kept KEEP_SECONDS after `from` (default: until). */
function leaseItem(holder: string, until: number, from: number = until) {
  return {
    pk: { S: RECONCILE_LEASE_KEY.pk },
    sk: { S: RECONCILE_LEASE_KEY.sk },
    holder: { S: holder },
    until: { N: String(until) },
    exp: { N: String(from + KEEP_SECONDS) },
  };
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException || (error as Error)?.name === "ConditionalCheckFailedException"
  );
}

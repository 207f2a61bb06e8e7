import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { CloudjailError } from "../errors.js";
import { DYNAMODB_ACTIVE_BANS_INDEX, DYNAMODB_TTL_ATTRIBUTE } from "./dynamodb-table.js";
import {
  type BanState,
  type FailureWindow,
  type JailEntry,
  PERMANENT_UNTIL,
  RequestCounters,
  type Store,
  type StoreCounters,
  type StoredEntry,
} from "./store.js";

/**
 * The cloud store: one DynamoDB table (see dynamodb-table.ts for its definition).
 *
 * Table design
 * - One item per (failure id, jail): `pk = "F#<fid>"`, `sk = "J#<jail>"`. The partition groups an address's jails so
 *   that bantime.overalljails is one Query, and the item is fail2ban's FailTicket and `bips` row in one: the counting
 *   window (`win`), the latest ban (`ban`) and the event ids already counted. Counting a failure is therefore exactly
 *   one PutItem; a failure that bans is the same single PutItem; lines that match nothing never reach the store.
 * - `ver` (number) is the compare-and-set version: a put requires `ver = :expected` (or `attribute_not_exists(pk)`
 *   for a first failure), so concurrent Lambdas serialise on the item: no lost count, exactly one ban. A rejected
 *   put is counted in `conflicts` (it still consumes write capacity).
 * - Sparse global secondary index `active-bans`: `banPk = "active"` and `banUntil` (ban end, epoch seconds,
 *   PERMANENT_UNTIL for permanent bans) exist only while a ban is active. Active bans are `banUntil > now`, bans to
 *   lift `banUntil <= now`: one Query each, no Scan. The single partition value is fine for the few thousand bans a
 *   WAF IP set can hold; the index is eventually consistent, so callers re-check the ban on the item (banInForce).
 * - `exp` is the TTL attribute: when everything in the item has become irrelevant (window older than findtime, ban
 *   history older than dbpurgeage). TTL is garbage collection only: deletion lags up to days, expired items still
 *   appear in reads, and every reader filters on time (the jail logic's liveEntry, banInForce here). Permanent bans
 *   carry no `exp`; it is rounded up to whole seconds, as TTL wants, so nothing is collected early.
 */
export class DynamoDbStore implements Store {
  readonly kind = "dynamodb";
  private readonly documents: DynamoDBDocumentClient;
  private readonly requests = new RequestCounters();

  /** A store on `tableName`, through an injected client (one per Lambda container, created at module scope). */
  constructor(
    client: DynamoDBClient,
    readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
  }

  async get(jail: string, fid: string): Promise<StoredEntry | undefined> {
    this.requests.reads++;
    const result = await this.call("GetItem", () =>
      this.documents.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: partitionKey(fid), sk: sortKey(jail) },
          ConsistentRead: true,
        }),
      ),
    );
    return result.Item ? fromItem(result.Item) : undefined;
  }

  async listByFid(fid: string): Promise<StoredEntry[]> {
    return this.query({
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": partitionKey(fid) },
      ConsistentRead: true,
    });
  }

  async put(entry: JailEntry, expectedVersion: number | null): Promise<number | undefined> {
    const version = (expectedVersion ?? 0) + 1;
    let consumed: number | undefined;
    try {
      const result = await this.call("PutItem", () =>
        this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: toItem(entry, version),
            ReturnConsumedCapacity: "TOTAL",
            ...(expectedVersion === null
              ? { ConditionExpression: "attribute_not_exists(pk)" }
              : {
                  ConditionExpression: "ver = :expected",
                  ExpressionAttributeValues: { ":expected": expectedVersion },
                }),
          }),
        ),
      );
      consumed = result.ConsumedCapacity?.CapacityUnits;
    } catch (error) {
      if (error instanceof CloudjailError && error.cause instanceof ConditionalCheckFailedException) {
        this.requests.conflicts++;
        return undefined;
      }
      throw error;
    }
    this.requests.writes++;
    this.requests.writeUnits += consumed ?? 0;
    return version;
  }

  async activeBans(now: number, jail?: string): Promise<StoredEntry[]> {
    const entries = await this.query({
      TableName: this.tableName,
      IndexName: DYNAMODB_ACTIVE_BANS_INDEX,
      KeyConditionExpression: "banPk = :active AND banUntil > :now",
      ExpressionAttributeValues: { ":active": ACTIVE, ":now": now, ...(jail === undefined ? {} : { ":jail": jail }) },
      ...(jail === undefined ? {} : { FilterExpression: "jail = :jail" }),
    });
    return entries.sort(byJailAndFid);
  }

  async dueBans(now: number): Promise<StoredEntry[]> {
    return this.query({
      TableName: this.tableName,
      IndexName: DYNAMODB_ACTIVE_BANS_INDEX,
      KeyConditionExpression: "banPk = :active AND banUntil <= :now",
      ExpressionAttributeValues: { ":active": ACTIVE, ":now": now },
    });
  }

  /** DynamoDB's TTL deletes expired items (and readers ignore them until then): nothing to do, no request made. */
  async purge(_now: number): Promise<number> {
    return 0;
  }

  counters(): StoreCounters {
    return this.requests.snapshot();
  }

  resetCounters(): void {
    this.requests.reset();
  }

  /** The injected client belongs to the caller, who may share it: nothing to close here. */
  async close(): Promise<void> {}

  private async query(input: QueryCommandInput): Promise<StoredEntry[]> {
    const entries: StoredEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      this.requests.reads++;
      const page = await this.call("Query", () =>
        this.documents.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) })),
      );
      for (const item of page.Items ?? []) entries.push(fromItem(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return entries;
  }

  // Wraps SDK errors so that they say which table and operation failed; the SDK error stays as `cause`.
  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new CloudjailError(`DynamoDB ${operation} on table ${this.tableName} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

const ACTIVE = "active";

function partitionKey(fid: string): string {
  return `F#${fid}`;
}

function sortKey(jail: string): string {
  return `J#${jail}`;
}

function toItem(entry: JailEntry, version: number): Record<string, unknown> {
  const ban = entry.ban;
  return {
    pk: partitionKey(entry.fid),
    sk: sortKey(entry.jail),
    jail: entry.jail,
    fid: entry.fid,
    ip: entry.ip,
    ver: version,
    ...(entry.window ? { win: entry.window } : {}),
    ...(ban ? { ban } : {}),
    ...(ban?.active ? { banPk: ACTIVE, banUntil: ban.until ?? PERMANENT_UNTIL } : {}),
    ...(entry.expiresAt === null ? {} : { [DYNAMODB_TTL_ATTRIBUTE]: Math.ceil(entry.expiresAt) }),
  };
}

function fromItem(item: Record<string, unknown>): StoredEntry {
  const expiresAt = item[DYNAMODB_TTL_ATTRIBUTE];
  const entry: JailEntry = {
    jail: String(item.jail),
    fid: String(item.fid),
    ip: String(item.ip),
    ...(item.win ? { window: item.win as FailureWindow } : {}),
    ...(item.ban ? { ban: item.ban as BanState } : {}),
    expiresAt: typeof expiresAt === "number" ? expiresAt : null,
  };
  return { entry, version: Number(item.ver) };
}

function byJailAndFid(a: StoredEntry, b: StoredEntry): number {
  const left = `${a.entry.jail}\u0000${a.entry.fid}`;
  const right = `${b.entry.jail}\u0000${b.entry.fid}`;
  return left < right ? -1 : left > right ? 1 : 0;
}

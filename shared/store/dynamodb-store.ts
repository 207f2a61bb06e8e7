import { DYNAMODB_ACTIVE_BANS_INDEX, DYNAMODB_TTL_ATTRIBUTE } from "./dynamodb-layout.js";
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

/** An item of the table, as the DynamoDB document API reads and writes it. */
export type TableItem = Record<string, unknown>;

/** A Query of the document API: key condition, optional index and filter, expression values. */
export interface TableQuery {
  readonly IndexName?: string;
  readonly KeyConditionExpression: string;
  readonly FilterExpression?: string;
  readonly ExpressionAttributeValues: Record<string, unknown>;
  readonly ConsistentRead?: boolean;
}

/**
 * The few requests the store makes of its table, without the AWS SDK (shared/ stays free of it): the cloud layer
 * implements them with the SDK's document client (cloud/store/sdk-document-table.ts). Failed requests throw errors
 * that name the operation and the table; a put whose condition fails is no error but `{ written: false }`.
 */
export interface DocumentTable {
  readonly tableName: string;
  /** GetItem with a consistent read. */
  getItem(key: { readonly pk: string; readonly sk: string }): Promise<TableItem | undefined>;
  /** PutItem on the condition that the item does not exist (`version` null) or has `ver` = `version`. */
  putItem(
    item: TableItem,
    expectedVersion: number | null,
  ): Promise<{ readonly written: true; readonly capacityUnits?: number } | { readonly written: false }>;
  /** One page of a Query, from `start` (the previous page's `next`). */
  query(
    query: TableQuery,
    start?: TableItem,
  ): Promise<{ readonly items: readonly TableItem[]; readonly next?: TableItem }>;
}

/**
 * The cloud store: one DynamoDB table (cloud/store/dynamodb-table.ts defines it), through a DocumentTable.
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
  private readonly requests = new RequestCounters();

  /** A store on `table` (one per Lambda container, created at module scope). */
  constructor(private readonly table: DocumentTable) {}

  /** The table's name. */
  get tableName(): string {
    return this.table.tableName;
  }

  async get(jail: string, fid: string): Promise<StoredEntry | undefined> {
    this.requests.reads++;
    const item = await this.table.getItem({ pk: partitionKey(fid), sk: sortKey(jail) });
    return item ? fromItem(item) : undefined;
  }

  async listByFid(fid: string): Promise<StoredEntry[]> {
    return this.query({
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": partitionKey(fid) },
      ConsistentRead: true,
    });
  }

  async put(entry: JailEntry, expectedVersion: number | null): Promise<number | undefined> {
    const version = (expectedVersion ?? 0) + 1;
    const result = await this.table.putItem(toItem(entry, version), expectedVersion);
    if (!result.written) {
      // the compare-and-set lost: someone else wrote the item first (the write still consumed capacity)
      this.requests.conflicts++;
      return undefined;
    }
    this.requests.writes++;
    this.requests.writeUnits += result.capacityUnits ?? 0;
    return version;
  }

  async activeBans(now: number, jail?: string): Promise<StoredEntry[]> {
    const entries = await this.query({
      IndexName: DYNAMODB_ACTIVE_BANS_INDEX,
      KeyConditionExpression: "banPk = :active AND banUntil > :now",
      ExpressionAttributeValues: { ":active": ACTIVE, ":now": now, ...(jail === undefined ? {} : { ":jail": jail }) },
      ...(jail === undefined ? {} : { FilterExpression: "jail = :jail" }),
    });
    return entries.sort(byJailAndFid);
  }

  async dueBans(now: number): Promise<StoredEntry[]> {
    return this.query({
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

  private async query(query: TableQuery): Promise<StoredEntry[]> {
    const entries: StoredEntry[] = [];
    let start: TableItem | undefined;
    do {
      this.requests.reads++;
      const page = await this.table.query(query, start);
      for (const item of page.items) entries.push(fromItem(item));
      start = page.next;
    } while (start);
    return entries;
  }
}

const ACTIVE = "active";

function partitionKey(fid: string): string {
  return `F#${fid}`;
}

function sortKey(jail: string): string {
  return `J#${jail}`;
}

function toItem(entry: JailEntry, version: number): TableItem {
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

function fromItem(item: TableItem): StoredEntry {
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

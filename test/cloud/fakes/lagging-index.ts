// DynamoDB's global secondary indexes are eventually consistent: a Query on `active-bans` may miss a ban written a
// moment ago and still show one just lifted. DynamoDB Local's index is always current, so this wrapper plays the lag:
// once frozen, index queries answer from the index as it was at the freeze, while item reads and writes stay live.
import {
  type DocumentTable,
  DynamoDbStore,
  type TableItem,
  type TableQuery,
} from "../../../shared/store/dynamodb-store.js";

/** A DocumentTable whose index can be frozen in a past state. */
export class LaggingIndexTable implements DocumentTable {
  private frozen: TableItem[] | undefined;
  /** Index queries answered from the frozen state. */
  staleAnswers = 0;

  constructor(private readonly table: DocumentTable) {}

  get tableName(): string {
    return this.table.tableName;
  }

  getItem(key: { readonly pk: string; readonly sk: string }) {
    return this.table.getItem(key);
  }

  putItem(item: TableItem, expectedVersion: number | null) {
    return this.table.putItem(item, expectedVersion);
  }

  /** From now on, index queries see the index as it is now. */
  async freeze(): Promise<void> {
    const items: TableItem[] = [];
    let start: TableItem | undefined;
    do {
      const page = await this.table.query(
        {
          IndexName: "active-bans",
          KeyConditionExpression: "banPk = :active AND banUntil > :now",
          ExpressionAttributeValues: { ":active": "active", ":now": 0 },
        },
        start,
      );
      items.push(...page.items);
      start = page.next;
    } while (start);
    this.frozen = items;
  }

  /** The index catches up. */
  thaw(): void {
    this.frozen = undefined;
  }

  async query(query: TableQuery, start?: TableItem) {
    if (!query.IndexName || !this.frozen) return this.table.query(query, start);
    if (query.ConsistentRead)
      throw new Error("ValidationException: Consistent reads are not supported on global secondary indexes");
    this.staleAnswers++;
    const values = query.ExpressionAttributeValues;
    const now = Number(values[":now"]);
    const due = query.KeyConditionExpression.includes("<=");
    const items = this.frozen.filter((item) => {
      const until = Number(item.banUntil);
      if (due ? until > now : until <= now) return false;
      return values[":jail"] === undefined || item.jail === values[":jail"];
    });
    return { items };
  }
}

/** A DynamoDB store over `table` whose active-bans index can lag. */
export function laggingStore(table: DocumentTable): { store: DynamoDbStore; index: LaggingIndexTable } {
  const index = new LaggingIndexTable(table);
  return { store: new DynamoDbStore(index), index };
}

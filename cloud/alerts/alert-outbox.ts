// Alerts across concurrent invocations: a scan or a botnet makes many ingest invocations ban at once, each in its own
// container. The first ban of a minute is mailed at once (claiming the minute in DynamoDB); the others of that minute
// wait in an outbox that the reconcile run, every minute, sends as one digest. One table, two key spaces:
// `pk = "SLOT"`, `sk = <minute>` for the claims, `pk = "OUTBOX"`, `sk = <minute>#<jail>#<address>#<ban start>` for
// queued alerts (so a redelivered ban is queued once). TTL cleans both; nothing depends on it.
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { BanAlert } from "./ban-alert.js";
import { alertMinute } from "./ban-digest.js";

/** Items are kept a day at most: a digest that could not be sent for a day is dropped. */
const KEEP_SECONDS = 24 * 3600;

const minuteKey = (minute: number) => String(minute).padStart(12, "0");

/** A queued alert and its key. */
export interface QueuedAlert {
  readonly key: string;
  readonly alert: BanAlert;
}

/** The alert outbox table. */
export class AlertOutbox {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Claims the immediate alert of the minute holding `now`: true for the first caller only. */
  async claimMinute(now: number): Promise<boolean> {
    const minute = alertMinute(now);
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: "SLOT", sk: minuteKey(minute), exp: minute + KEEP_SECONDS },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as Error).name === "ConditionalCheckFailedException"
      ) {
        return false;
      }
      throw error;
    }
  }

  /** Queues alerts for the digest of the minute holding `now` (idempotent per ban). */
  async enqueue(now: number, alerts: readonly BanAlert[]): Promise<void> {
    const minute = alertMinute(now);
    for (let i = 0; i < alerts.length; i += 25) {
      const chunk = alerts.slice(i, i + 25);
      const unique = new Map(
        chunk.map((alert) => [`${minuteKey(minute)}#${alert.jail}#${alert.ip}#${alert.bannedAt}`, alert]),
      );
      let requests: Record<string, unknown>[] = [...unique].map(([sk, alert]) => ({
        PutRequest: { Item: { pk: "OUTBOX", sk, alert, exp: minute + KEEP_SECONDS } },
      }));
      for (let attempt = 0; requests.length > 0 && attempt < 5; attempt++) {
        const result = await this.documents.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests as never } }),
        );
        requests = (result.UnprocessedItems?.[this.tableName] ?? []) as Record<string, unknown>[];
      }
      if (requests.length > 0) throw new Error(`alert outbox: ${requests.length} alerts could not be queued`);
    }
  }

  /** Alerts queued in minutes that ended before `now`, oldest first. */
  async due(now: number): Promise<QueuedAlert[]> {
    const queued: QueuedAlert[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :outbox AND sk < :minute",
          ExpressionAttributeValues: { ":outbox": "OUTBOX", ":minute": minuteKey(alertMinute(now)) },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) queued.push({ key: item.sk as string, alert: item.alert as BanAlert });
      start = page.LastEvaluatedKey;
    } while (start);
    return queued;
  }

  /** Removes sent alerts. */
  async remove(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 25) {
      let requests: Record<string, unknown>[] = keys
        .slice(i, i + 25)
        .map((sk) => ({ DeleteRequest: { Key: { pk: "OUTBOX", sk } } }));
      for (let attempt = 0; requests.length > 0 && attempt < 5; attempt++) {
        const result = await this.documents.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests as never } }),
        );
        requests = (result.UnprocessedItems?.[this.tableName] ?? []) as Record<string, unknown>[];
      }
    }
  }
}

/** The CreateTable input of the outbox (tests and local runs; the CDK construct declares the same table). */
export function alertOutboxTableDefinition(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" as const },
      { AttributeName: "sk", AttributeType: "S" as const },
    ],
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" as const },
      { AttributeName: "sk", KeyType: "RANGE" as const },
    ],
  };
}

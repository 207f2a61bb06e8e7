// The jail table's requests through the AWS SDK's document client: the DocumentTable the DynamoDB store runs on.
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { CloudjailError } from "../../shared/errors.js";
import {
  type DocumentTable,
  DynamoDbStore,
  type TableItem,
  type TableQuery,
} from "../../shared/store/dynamodb-store.js";

/** A DocumentTable on `tableName` through an injected client (the caller owns it, and may share it). */
export function sdkDocumentTable(client: DynamoDBClient, tableName: string): DocumentTable {
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  // SDK errors say which table and operation failed; the SDK error stays as `cause`
  const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw new CloudjailError(`DynamoDB ${operation} on table ${tableName} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  return {
    tableName,
    async getItem(key) {
      const result = await call("GetItem", () =>
        documents.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })),
      );
      return result.Item;
    },
    async putItem(item: TableItem, expectedVersion: number | null) {
      try {
        const result = await call("PutItem", () =>
          documents.send(
            new PutCommand({
              TableName: tableName,
              Item: item,
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
        const units = result.ConsumedCapacity?.CapacityUnits;
        return units === undefined ? { written: true } : { written: true, capacityUnits: units };
      } catch (error) {
        if (error instanceof CloudjailError && error.cause instanceof ConditionalCheckFailedException) {
          return { written: false };
        }
        throw error;
      }
    },
    async query(query: TableQuery, start?: TableItem) {
      const page = await call("Query", () =>
        documents.send(
          new QueryCommand({ TableName: tableName, ...query, ...(start ? { ExclusiveStartKey: start } : {}) }),
        ),
      );
      return { items: page.Items ?? [], ...(page.LastEvaluatedKey ? { next: page.LastEvaluatedKey } : {}) };
    },
  };
}

/** The DynamoDB store on `tableName`, through the SDK. */
export function dynamoDbStore(client: DynamoDBClient, tableName: string): DynamoDbStore {
  return new DynamoDbStore(sdkDocumentTable(client, tableName));
}

// The unban epoch (cloud/ingest/known-bans.ts) as one item of the jail table, apart from the jail entries (`F#...`)
// and outside the active-bans index: GetItem (consistent) to read it, UpdateItem ADD to bump it.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { CloudjailError } from "../../shared/errors.js";
import type { UnbanEpoch } from "../ingest/known-bans.js";

const KEY = { pk: "META#unbans", sk: "epoch" };

/** The unban epoch in `tableName`. */
export function dynamoDbUnbanEpoch(client: DynamoDBClient, tableName: string): UnbanEpoch {
  const documents = DynamoDBDocumentClient.from(client);
  const fail = (operation: string, error: unknown): never => {
    throw new CloudjailError(`DynamoDB ${operation} on table ${tableName} failed: ${(error as Error).message}`, {
      cause: error,
    });
  };
  return {
    async read() {
      const got = await documents
        .send(new GetCommand({ TableName: tableName, Key: KEY, ConsistentRead: true }))
        .catch((error) => fail("GetItem", error));
      return Number(got.Item?.n ?? 0);
    },
    async bump() {
      await documents
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: KEY,
            UpdateExpression: "ADD n :one",
            ExpressionAttributeValues: { ":one": 1 },
          }),
        )
        .catch((error) => fail("UpdateItem", error));
    },
  };
}

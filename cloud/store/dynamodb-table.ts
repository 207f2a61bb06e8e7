// The jail table's definition for the DynamoDB API (tests, local runs and benchmarks create it from here; the CDK
// stack declares the same table). Its attribute names are the store's, in shared/store/dynamodb-layout.ts.
import type { CreateTableCommandInput, UpdateTimeToLiveCommandInput } from "@aws-sdk/client-dynamodb";
import { DYNAMODB_ACTIVE_BANS_INDEX, DYNAMODB_TTL_ATTRIBUTE } from "../../shared/store/dynamodb-layout.js";

/**
 * The jail table as CreateTable input: on-demand billing, keys `pk`/`sk`, the sparse `active-bans` index. The CDK
 * stack declares the same table (and enables TTL on {@link DYNAMODB_TTL_ATTRIBUTE}); tests and local runs create it
 * from here.
 */
export function dynamoDbTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "S" },
      { AttributeName: "banPk", AttributeType: "S" },
      { AttributeName: "banUntil", AttributeType: "N" },
    ],
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: DYNAMODB_ACTIVE_BANS_INDEX,
        KeySchema: [
          { AttributeName: "banPk", KeyType: "HASH" },
          { AttributeName: "banUntil", KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      },
    ],
  };
}

/** UpdateTimeToLive input turning on TTL (garbage collection of expired entries) for the jail table. */
export function dynamoDbTimeToLive(tableName: string): UpdateTimeToLiveCommandInput {
  return { TableName: tableName, TimeToLiveSpecification: { AttributeName: DYNAMODB_TTL_ATTRIBUTE, Enabled: true } };
}

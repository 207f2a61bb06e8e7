import type { CreateTableCommandInput, UpdateTimeToLiveCommandInput } from "@aws-sdk/client-dynamodb";

/** The TTL attribute of the jail table (epoch seconds): garbage collection only, see DynamoDbStore. */
export const DYNAMODB_TTL_ATTRIBUTE = "exp";
/** The sparse index of active bans (partition `banPk`, sort `banUntil`). */
export const DYNAMODB_ACTIVE_BANS_INDEX = "active-bans";

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

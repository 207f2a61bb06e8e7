// Which network ACL entries are cloudjail's. A user's own rules may sit inside the configured range (a deny of a known
// bad network, an allow placed early): cloudjail must never replace or delete them. So every entry cloudjail creates
// is first claimed here, in the jail table, by rule number: the claim is a conditional put, which also keeps two
// cloudjail writers from taking the same number. An entry is ours only when a claim names its number and its block.
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { CloudjailError } from "../../shared/errors.js";

/** A rule number cloudjail took in one ACL, and the block it denies there. */
export interface RuleClaim {
  readonly ruleNumber: number;
  /** Canonical CIDR block of the deny entry. */
  readonly cidr: string;
  /** When the claim was made, epoch seconds (a claim with no entry long after is left over from a crash). */
  readonly claimedAt: number;
}

/** Where claims are kept. */
export interface AclRuleRegistry {
  /** Every claim in the ACL, read consistently. */
  claims(aclId: string): Promise<RuleClaim[]>;
  /** Claims a rule number; false when a claim on that number exists already. */
  claim(aclId: string, claim: RuleClaim): Promise<boolean>;
  /** Drops the claim on `ruleNumber` if it still names `cidr` (a newer claim on the number stays). */
  release(aclId: string, ruleNumber: number, cidr: string): Promise<void>;
  /** Requests made (the bench counts them). */
  readonly requests: { reads: number; writes: number };
}

/** Partition key of an ACL's claims: apart from the jail entries (`F#...`), never in the active-bans index. */
function partitionKey(aclId: string): string {
  return `ACL#${aclId}`;
}

function sortKey(ruleNumber: number): string {
  return `R#${String(ruleNumber).padStart(5, "0")}`;
}

/** The registry in the jail table (DynamoDB GetItem-free: Query, conditional PutItem, conditional DeleteItem). */
export function dynamoDbAclRuleRegistry(client: DynamoDBClient, tableName: string): AclRuleRegistry {
  const documents = DynamoDBDocumentClient.from(client);
  const requests = { reads: 0, writes: 0 };
  const fail = (operation: string, error: unknown): never => {
    throw new CloudjailError(`DynamoDB ${operation} on table ${tableName} failed: ${(error as Error).message}`, {
      cause: error,
    });
  };
  return {
    requests,
    async claims(aclId) {
      const claims: RuleClaim[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        requests.reads++;
        const page = await documents
          .send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: "pk = :pk",
              ExpressionAttributeValues: { ":pk": partitionKey(aclId) },
              ConsistentRead: true,
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          )
          .catch((error) => fail("Query", error));
        for (const item of page.Items ?? []) {
          claims.push({ ruleNumber: Number(item.rule), cidr: String(item.cidr), claimedAt: Number(item.claimedAt) });
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return claims;
    },
    async claim(aclId, claim) {
      requests.writes++;
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: partitionKey(aclId),
              sk: sortKey(claim.ruleNumber),
              rule: claim.ruleNumber,
              cidr: claim.cidr,
              claimedAt: claim.claimedAt,
            },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        return fail("PutItem", error);
      }
    },
    async release(aclId, ruleNumber, cidr) {
      requests.writes++;
      try {
        await documents.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { pk: partitionKey(aclId), sk: sortKey(ruleNumber) },
            ConditionExpression: "cidr = :cidr",
            ExpressionAttributeValues: { ":cidr": cidr },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return;
        fail("DeleteItem", error);
      }
    },
  };
}

/** A registry in memory: for the target's unit tests and dry runs (one process only). */
export function memoryAclRuleRegistry(): AclRuleRegistry & { readonly byAcl: Map<string, Map<number, RuleClaim>> } {
  const byAcl = new Map<string, Map<number, RuleClaim>>();
  const requests = { reads: 0, writes: 0 };
  const of = (aclId: string) => {
    const claims = byAcl.get(aclId) ?? new Map<number, RuleClaim>();
    byAcl.set(aclId, claims);
    return claims;
  };
  return {
    byAcl,
    requests,
    async claims(aclId) {
      requests.reads++;
      return [...of(aclId).values()];
    },
    async claim(aclId, claim) {
      requests.writes++;
      const claims = of(aclId);
      if (claims.has(claim.ruleNumber)) return false;
      claims.set(claim.ruleNumber, claim);
      return true;
    },
    async release(aclId, ruleNumber, cidr) {
      requests.writes++;
      const claims = of(aclId);
      if (claims.get(ruleNumber)?.cidr === cidr) claims.delete(ruleNumber);
    },
  };
}

// What only the DynamoDB store has: errors that name the table and the operation, with the SDK error kept.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbStore } from "../../cloud/store/sdk-document-table.js";
import { CloudjailError } from "../../shared/errors.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../support/dynamodb-local.js";

describe("DynamoDbStore", () => {
  let local: DynamoDbLocal;
  beforeAll(async () => {
    local = await startDynamoDbLocal();
  });
  afterAll(() => local.stop());

  it("reports a failed request with the table and the operation, keeping the SDK error as cause", async () => {
    const client = local.client();
    const store = dynamoDbStore(client, "no-such-table");
    const entry = { jail: "sshd", fid: "192.0.2.1", ip: "192.0.2.1", expiresAt: null };
    for (const call of [
      () => store.get("sshd", "192.0.2.1"),
      () => store.put(entry, null),
      () => store.activeBans(0),
    ]) {
      const error = await call().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(CloudjailError);
      expect((error as Error).message).toMatch(/^DynamoDB (GetItem|PutItem|Query) on table no-such-table failed: /);
      expect((error as Error).cause).toMatchObject({ name: "ResourceNotFoundException" });
    }
    expect(store.counters().writes).toBe(0);
    client.destroy();
  });
});

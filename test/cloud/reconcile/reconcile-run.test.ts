// The scheduled reconcile against the real store (DynamoDB Local) and targets on fake WAF/EC2 APIs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { reconcile } from "../../../cloud/reconcile/reconcile-run.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../support/dynamodb-local.js";
import { createTestCloud, TEST_ACL, type TestCloud, testJail } from "../fakes/test-cloud.js";

const deployment = { version: 1 as const, jails: [testJail("sshd", ["/ec2/auth.log"], { banTime: 600 })] };

describe("reconcile", () => {
  let local: DynamoDbLocal;
  let cloud: TestCloud;
  beforeAll(async () => {
    local = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await local?.stop();
  });
  beforeEach(async () => {
    cloud?.destroy();
    cloud = await createTestCloud(local, deployment, { announceUnbans: true });
  });

  it("expires due bans and removes them from every target, announcing the unbans", async () => {
    const t0 = cloud.clock.now;
    await cloud.runtime.runner.ban("sshd", "192.0.2.1", t0);
    await cloud.runtime.runner.ban("sshd", "2001:db8::1", t0 + 100);
    let report = await reconcile(cloud.runtime, t0 + 200);
    expect(report.unbans).toEqual([]);
    expect(cloud.enforced()).toEqual({
      ipv4: ["192.0.2.1/32"],
      ipv6: ["2001:db8::1/128"],
      nacl: ["192.0.2.1/32", "2001:db8::1/128"],
    });
    report = await reconcile(cloud.runtime, t0 + 600);
    expect(report.unbans.map((u) => u.ip)).toEqual(["192.0.2.1"]);
    expect(cloud.enforced()).toEqual({ ipv4: [], ipv6: ["2001:db8::1/128"], nacl: ["2001:db8::1/128"] });
    expect(cloud.sns.published).toEqual([
      { subject: "[cloudjail] 1 unban (test)", body: expect.stringContaining("sshd                 192.0.2.1") },
    ]);
    const gauge = cloud.lines.filter((line) => line.Jail === "sshd" && "ActiveBans" in line).at(-1);
    expect(gauge).toMatchObject({
      ActiveBans: 1,
      Stack: "test",
      _aws: { CloudWatchMetrics: [{ Namespace: "Cloudjail" }] },
    });
  });

  it("repairs drift: manual edits in WAF and the ACL are undone", async () => {
    await cloud.runtime.runner.ban("sshd", "192.0.2.1", cloud.clock.now);
    await reconcile(cloud.runtime);
    cloud.ipv4.addresses = ["198.51.100.99/32"];
    cloud.ec2.acls.set(
      TEST_ACL,
      cloud.ec2.acls.get(TEST_ACL)!.filter((entry) => entry.CidrBlock !== "192.0.2.1/32"),
    );
    await reconcile(cloud.runtime);
    expect(cloud.enforced()).toEqual({ ipv4: ["192.0.2.1/32"], ipv6: [], nacl: ["192.0.2.1/32"] });
  });

  it("retries a failed target update on the next run and reports it meanwhile", async () => {
    await cloud.runtime.runner.ban("sshd", "192.0.2.1", cloud.clock.now);
    cloud.waf.failNext("UpdateIPSet", "WAFOptimisticLockException", 5);
    const failed = await reconcile(cloud.runtime);
    expect(failed.enforcement.failures).toBe(1);
    expect(failed.enforcement.addresses.get("192.0.2.1")).toMatchObject({
      enforcedIn: [expect.stringMatching(/^nacl/)],
      pendingIn: [expect.stringMatching(/^waf/)],
    });
    expect(cloud.enforced().ipv4).toEqual([]);
    const healed = await reconcile(cloud.runtime);
    expect(healed.enforcement.failures).toBe(0);
    expect(cloud.enforced().ipv4).toEqual(["192.0.2.1/32"]);
  });

  it("writes nothing when the targets already match", async () => {
    await cloud.runtime.runner.ban("sshd", "192.0.2.1", cloud.clock.now);
    await reconcile(cloud.runtime);
    const writes = cloud.waf.successfulWrites + cloud.ec2.successfulWrites;
    await reconcile(cloud.runtime);
    expect(cloud.waf.successfulWrites + cloud.ec2.successfulWrites).toBe(writes);
  });
});

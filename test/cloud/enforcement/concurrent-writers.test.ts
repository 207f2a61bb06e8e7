// Many writers share the targets: every ingest container, the admin function and the scheduled run. These tests
// interleave them deterministically (a held call is a slow write or a late read) on the real store (DynamoDB Local)
// and fakes that keep WAF's lock and EC2's rule-number rules, and check that no writer ever removes another's active
// ban, also when the active-bans index lags (as a DynamoDB global secondary index may).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { handleAdminPayload } from "../../../cloud/admin/admin-service.js";
import { reconcile } from "../../../cloud/reconcile/reconcile-run.js";
import type { CloudRuntime } from "../../../cloud/runtime/cloud-runtime.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../support/dynamodb-local.js";
import { createTestCloud, TEST_ACL, type TestCloud, testJail } from "../fakes/test-cloud.js";

const deployment = { version: 1 as const, jails: [testJail("sshd", ["/ec2/auth.log"], { banTime: 600 })] };
const X = "192.0.2.10";
const Y = "192.0.2.20";
const Z = "192.0.2.30";

/** A ban found in the logs by one container: recorded in the store, then added to the targets (ingest's path). */
async function ingestBan(runtime: CloudRuntime, ip: string, now: number) {
  const decision = await runtime.runner.ban("sshd", ip, now);
  if (!decision) throw new Error(`${ip} was not banned`);
  return runtime.enforce([decision]);
}

const admin = (runtime: CloudRuntime, payload: unknown) => handleAdminPayload(runtime, payload);
const cidrs = (...ips: string[]) => ips.map((ip) => `${ip}/32`).sort();

describe("concurrent writers never remove another's active ban", () => {
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
    cloud = await createTestCloud(local, deployment);
  });

  it("two containers: a slow WAF write and a slow NACL create of one do not drop the other's fresh ban", async () => {
    const a = cloud.runtime;
    const { runtime: b } = await cloud.container();
    const now = cloud.clock.now;
    const slowWaf = cloud.waf.holdNext("UpdateIPSet");
    const first = ingestBan(a, X, now);
    await slowWaf.reached; // A read the set (without Y) and is about to write
    const slowNacl = cloud.ec2.holdNext("CreateNetworkAclEntry");
    const second = ingestBan(b, Y, now);
    await slowNacl.reached; // B wrote WAF, claimed its rule number, and is about to create the entry
    slowWaf.release();
    // A's WAF write fails on the lock, A reads again and adds X beside Y; A's NACL entry takes the next number
    await first;
    slowNacl.release();
    const [reportA, reportB] = [await first, await second];
    expect(cloud.enforced()).toEqual({ ipv4: cidrs(X, Y), ipv6: [], nacl: cidrs(X, Y) });
    expect(reportA.addresses.get(X)?.pendingIn).toEqual([]);
    expect(reportB.addresses.get(Y)?.pendingIn).toEqual([]);
    expect(cloud.waf.calls.filter((call) => call.operation === "UpdateIPSet" && !call.ok)).toHaveLength(1);
  });

  it("the scheduled sync, planned from a list without a fresh ban, keeps it (WAF lock, store read after the set)", async () => {
    const now = cloud.clock.now;
    await ingestBan(cloud.runtime, X, now);
    await admin(cloud.runtime, { command: "ban", ip: Z, jail: "sshd", bantime: 60 });
    const { runtime: b } = await cloud.container();
    // the sync ends Z's ban and is about to write the set without Z (and without Y, which it has never heard of)
    const slowWaf = cloud.waf.holdNext("UpdateIPSet");
    const sync = reconcile(cloud.runtime, now + 61);
    await slowWaf.reached;
    cloud.clock.now = now + 61;
    await ingestBan(b, Y, now + 61);
    slowWaf.release();
    const report = await sync;
    expect(report.unbans.map((unban) => unban.ip)).toEqual([Z]);
    expect(cloud.enforced()).toEqual({ ipv4: cidrs(X, Y), ipv6: [], nacl: cidrs(X, Y) });
  });

  it("an entry deleted while its address was banned again is put back by the same sync", async () => {
    const now = cloud.clock.now;
    await admin(cloud.runtime, { command: "ban", ip: Z, jail: "sshd", bantime: 60 });
    const { runtime: b } = await cloud.container();
    const slowDelete = cloud.ec2.holdNext("DeleteNetworkAclEntry");
    const sync = reconcile(cloud.runtime, now + 61);
    await slowDelete.reached; // the store said Z is free; the delete is on its way
    cloud.clock.now = now + 62;
    await ingestBan(b, Z, now + 62); // Z attacks again: B finds Z's entry still there and adds nothing
    slowDelete.release();
    await sync;
    expect(cloud.enforced()).toEqual({ ipv4: cidrs(Z), ipv6: [], nacl: cidrs(Z) });
    expect(cloud.lines).toContainEqual(
      expect.objectContaining({
        message: expect.stringMatching(/192\.0\.2\.30 was banned again while its entry was deleted/),
      }),
    );
  });

  it("four containers and a sync from a stale index, with slow writes, end with every ban everywhere", async () => {
    const now = cloud.clock.now;
    const containers = [cloud.runtime];
    for (let i = 0; i < 3; i++) containers.push((await cloud.container()).runtime);
    const { runtime: scheduled, index } = await cloud.container({ laggingIndex: true });
    await index!.freeze(); // the sync's index shows no ban at all
    const ips = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"];
    const slowWaf = cloud.waf.holdNext("UpdateIPSet");
    const first = ingestBan(containers[0]!, ips[0]!, now);
    await slowWaf.reached;
    await ingestBan(containers[1]!, ips[1]!, now);
    const slowNacl = cloud.ec2.holdNext("CreateNetworkAclEntry");
    const third = ingestBan(containers[2]!, ips[2]!, now);
    await slowNacl.reached;
    await ingestBan(containers[3]!, ips[3]!, now);
    const report = await reconcile(scheduled, now);
    expect(report.activeBans).toBe(0); // it planned from nothing
    expect(cloud.enforced().ipv4).toEqual(cidrs(ips[1]!, ips[2]!, ips[3]!));
    expect(cloud.enforced().nacl).toEqual(cidrs(ips[1]!, ips[3]!));
    slowNacl.release();
    slowWaf.release();
    await Promise.all([first, third]);
    expect(cloud.enforced()).toEqual({ ipv4: cidrs(...ips), ipv6: [], nacl: cidrs(...ips) });
    // and once the index has caught up, the sync finds nothing to change
    index!.thaw();
    const writes = cloud.waf.successfulWrites + cloud.ec2.successfulWrites;
    await reconcile(scheduled, now);
    expect(cloud.waf.successfulWrites + cloud.ec2.successfulWrites).toBe(writes);
  });

  it("with a lagging index: ingest enforces its own new ban, and the sync neither drops it nor restores an unban", async () => {
    const now = cloud.clock.now;
    const { runtime: lagging, index } = await cloud.container({ laggingIndex: true });
    await ingestBan(lagging, Y, now);
    await index!.freeze(); // shows Y
    await ingestBan(lagging, X, now); // not in the frozen index
    expect(cloud.enforced().ipv4).toEqual(cidrs(X, Y));
    await reconcile(lagging, now);
    expect(cloud.enforced()).toEqual({ ipv4: cidrs(X, Y), ipv6: [], nacl: cidrs(X, Y) });
    // an admin unban is effective at once, though the index still shows the ban
    const unban = await admin(lagging, { command: "unban", ip: Y, jail: "sshd" });
    expect(unban).toMatchObject({ ok: true, output: `unbanned ${Y} in sshd` });
    expect(cloud.enforced()).toEqual({ ipv4: cidrs(X), ipv6: [], nacl: cidrs(X) });
    const report = await reconcile(lagging, now);
    expect(report.activeBans).toBe(1); // the stale index still lists Y ...
    expect(cloud.enforced()).toEqual({ ipv4: cidrs(X), ipv6: [], nacl: cidrs(X) }); // ... and Y stays out
    expect(index!.staleAnswers).toBeGreaterThan(0);
  });

  it("an unban removes only its own address while another writer adds one", async () => {
    const now = cloud.clock.now;
    await ingestBan(cloud.runtime, X, now);
    const { runtime: b } = await cloud.container();
    const slowWaf = cloud.waf.holdNext("UpdateIPSet");
    const unban = admin(cloud.runtime, { command: "unban", ip: X, jail: "sshd" });
    await slowWaf.reached;
    await ingestBan(b, Y, now);
    slowWaf.release();
    expect(await unban).toMatchObject({ ok: true });
    expect(cloud.enforced()).toEqual({ ipv4: cidrs(Y), ipv6: [], nacl: cidrs(Y) });
  });
});

describe("network ACL ownership and concurrent NACL writers", () => {
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
    cloud = await createTestCloud(local, deployment);
  });
  const userRules = [
    { RuleNumber: 50, Egress: false, Protocol: "-1", RuleAction: "deny" as const, CidrBlock: "203.0.113.0/24" },
    { RuleNumber: 60, Egress: false, Protocol: "6", RuleAction: "allow" as const, CidrBlock: "10.0.0.0/8" },
  ];

  it("leaves the user's rules in the range untouched, with zero bans and with bans, and reports them", async () => {
    cloud.ec2.acls.get(TEST_ACL)!.push(...userRules.map((rule) => ({ ...rule })));
    await reconcile(cloud.runtime);
    expect(cloud.ec2.calls.filter((call) => call.operation !== "DescribeNetworkAcls")).toEqual([]);
    expect(cloud.lines).toContainEqual(expect.objectContaining({ ForeignNaclRules: 2 }));
    expect(cloud.lines).toContainEqual(
      expect.objectContaining({ level: "warn", message: expect.stringMatching(/rule 50 .* not created by cloudjail/) }),
    );
    await ingestBan(cloud.runtime, X, cloud.clock.now);
    await reconcile(cloud.runtime);
    cloud.clock.now += 601;
    await reconcile(cloud.runtime);
    const entries = cloud.ec2.acls.get(TEST_ACL)!;
    for (const rule of userRules) expect(entries).toContainEqual(rule);
    expect(cloud.enforced().nacl).toEqual(["203.0.113.0/24"]);
  });

  it("three concurrent admin bans each get their own rule number and answer enforced", async () => {
    const others = [(await cloud.container()).runtime, (await cloud.container()).runtime];
    const answers = await Promise.all(
      [cloud.runtime, ...others].map((runtime, i) =>
        admin(runtime, { command: "ban", ip: `192.0.2.${i + 1}`, jail: "sshd" }),
      ),
    );
    for (const answer of answers) {
      expect(answer).toMatchObject({ ok: true, output: expect.stringMatching(/enforced in: waf:.*, nacl:/) });
      expect(answer.ok && answer.output).not.toMatch(/pending/);
    }
    // which writer got which number depends on timing; each got one, and no address is there twice
    const entries = cloud.ec2.denyEntries(TEST_ACL, 1, 90).map((line) => line.split(" "));
    expect(entries.map(([number]) => number).sort()).toEqual(["1", "2", "3"]);
    expect(entries.map(([, block]) => block).sort()).toEqual(cidrs("192.0.2.1", "192.0.2.2", "192.0.2.3"));
  });

  it("a user's rule created at our number meanwhile: AlreadyExists, the next number is used, the user's rule stays", async () => {
    const slowCreate = cloud.ec2.holdNext("CreateNetworkAclEntry");
    const answer = admin(cloud.runtime, { command: "ban", ip: X, jail: "sshd" });
    await slowCreate.reached;
    const user = {
      RuleNumber: 1,
      Egress: false,
      Protocol: "6",
      RuleAction: "deny" as const,
      CidrBlock: "198.51.100.0/24",
    };
    cloud.ec2.acls.get(TEST_ACL)!.push({ ...user });
    slowCreate.release();
    expect(await answer).toMatchObject({ ok: true, output: expect.not.stringMatching(/pending/) });
    expect(cloud.ec2.calls.map((call) => [call.operation, call.ok])).toContainEqual(["CreateNetworkAclEntry", false]);
    expect(cloud.ec2.acls.get(TEST_ACL)).toContainEqual(user);
    expect(cloud.ec2.denyEntries(TEST_ACL, 1, 90)).toEqual(["1 198.51.100.0/24", `2 ${X}/32`]);
    // the sync keeps both: the user's rule is not ours, ours is claimed
    await reconcile(cloud.runtime);
    expect(cloud.ec2.denyEntries(TEST_ACL, 1, 90)).toEqual(["1 198.51.100.0/24", `2 ${X}/32`]);
  });

  it("a create whose response was lost and is retried (AlreadyExists for our own entry) counts as enforced", async () => {
    cloud.ec2.failAfterApplyingNext("CreateNetworkAclEntry", "RequestLimitExceeded");
    const answer = await admin(cloud.runtime, { command: "ban", ip: X, jail: "sshd" });
    expect(answer).toMatchObject({ ok: true, output: expect.not.stringMatching(/pending/) });
    expect(cloud.ec2.denyEntries(TEST_ACL, 1, 90)).toEqual([`1 ${X}/32`]);
    await admin(cloud.runtime, { command: "unban", ip: X, jail: "sshd" });
    expect(cloud.ec2.denyEntries(TEST_ACL, 1, 90)).toEqual([]);
  });
});

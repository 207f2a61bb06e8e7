import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  ReplaceNetworkAclEntryCommand,
} from "@aws-sdk/client-ec2";
import { beforeEach, describe, expect, it } from "vitest";
import { memoryAclRuleRegistry } from "../../../cloud/targets/acl-rule-registry.js";
import { NetworkAclTarget } from "../../../cloud/targets/network-acl-target.js";
import { ConfigError } from "../../../shared/errors.js";
import { FakeEc2 } from "../fakes/ec2-fake.js";

const instant = { sleep: async () => {}, random: () => 0.5 };
const A = "acl-0a0a0a0a0a0a0a0a0";
const B = "acl-0b0b0b0b0b0b0b0b0";

describe("NetworkAclTarget on an EC2 that enforces rule numbers and limits", () => {
  let ec2: FakeEc2;
  let registry: ReturnType<typeof memoryAclRuleRegistry>;
  const target = (ids = [A], ruleLimit?: number) =>
    new NetworkAclTarget({
      client: ec2.client,
      registry,
      networkAclIds: ids,
      ruleRange: { first: 1, last: 99 },
      retry: instant,
      ...(ruleLimit ? { ruleLimit } : {}),
    });

  beforeEach(() => {
    registry = memoryAclRuleRegistry();
    ec2 = new FakeEc2();
    ec2.createAcl(A);
    ec2.createAcl(B);
  });

  it("writes IPv4 and IPv6 ingress deny entries ahead of the allow rules, in every ACL", async () => {
    const result = await target([A, B]).sync([
      { ip: "192.0.2.1", bannedAt: 1 },
      { ip: "2001:db8::1", bannedAt: 2 },
    ]);
    for (const id of [A, B]) expect(ec2.denyEntries(id, 1, 99)).toEqual(["1 2001:db8::1/128", "2 192.0.2.1/32"]);
    expect([...result.enforced].sort()).toEqual(["192.0.2.1", "2001:db8::1"]);
    expect(result.failed).toEqual([]);
  });

  it("converges: a second sync with the same bans writes nothing, a changed ban set is deleted and created", async () => {
    await target().sync([{ ip: "192.0.2.1", bannedAt: 1 }]);
    const writes = ec2.successfulWrites;
    expect((await target().sync([{ ip: "192.0.2.1", bannedAt: 1 }])).writes).toBe(0);
    expect(ec2.successfulWrites).toBe(writes);
    await target().sync([{ ip: "192.0.2.2", bannedAt: 2 }]);
    expect(ec2.denyEntries(A, 1, 99)).toEqual(["1 192.0.2.2/32"]);
    expect(ec2.calls.map((call) => call.operation)).not.toContain("ReplaceNetworkAclEntry");
    await target().sync([]);
    expect(ec2.denyEntries(A, 1, 99)).toEqual([]);
    expect(registry.byAcl.get(A)?.size).toBe(0);
  });

  it("repairs a deleted entry, and leaves an entry it did not create alone (its number skipped, reported)", async () => {
    await target().sync([{ ip: "192.0.2.1", bannedAt: 1 }]);
    ec2.acls
      .get(A)!
      .push({ RuleNumber: 5, Egress: false, Protocol: "-1", RuleAction: "deny", CidrBlock: "198.51.100.0/24" });
    ec2.acls.set(
      A,
      ec2.acls.get(A)!.filter((e) => e.CidrBlock !== "192.0.2.1/32"),
    );
    const result = await target().sync([{ ip: "192.0.2.1", bannedAt: 1 }]);
    expect(ec2.denyEntries(A, 1, 99)).toEqual(["2 192.0.2.1/32", "5 198.51.100.0/24"]);
    expect(result.foreignRules).toBe(1);
    expect(result.warnings).toEqual([expect.stringMatching(/rule 5 .* not created by cloudjail: left alone/)]);
  });

  it("never touches the user's rules in its range, even with zero bans", async () => {
    const user = [
      { RuleNumber: 50, Egress: false, Protocol: "-1", RuleAction: "deny" as const, CidrBlock: "203.0.113.0/24" },
      { RuleNumber: 60, Egress: false, Protocol: "6", RuleAction: "allow" as const, CidrBlock: "10.0.0.0/8" },
    ];
    ec2.acls.get(A)!.push(...user.map((entry) => ({ ...entry })));
    const before = JSON.stringify(ec2.acls.get(A));
    const result = await target().sync([]);
    expect(JSON.stringify(ec2.acls.get(A))).toBe(before);
    expect(result.foreignRules).toBe(2);
    expect(ec2.calls.filter((call) => call.operation !== "DescribeNetworkAcls")).toEqual([]);
    // with bans, the user's numbers are skipped, and an address the user already denies gets its own entry elsewhere
    await target().sync([{ ip: "203.0.113.7", bannedAt: 1 }]);
    expect(ec2.denyEntries(A, 1, 99)).toEqual(["1 203.0.113.7/32", "50 203.0.113.0/24"]);
    await target().sync([]);
    expect(ec2.denyEntries(A, 1, 99)).toEqual(["50 203.0.113.0/24"]);
    expect(ec2.acls.get(A)!.filter((e) => e.RuleNumber === 60)).toEqual([user[1]]);
  });

  it("keeps the newest bans within the 20-rule quota (allow + default rules count) and reports the overflow", async () => {
    const bans = Array.from({ length: 25 }, (_, i) => ({ ip: `192.0.2.${i + 1}`, bannedAt: i }));
    const result = await target().sync(bans);
    expect(ec2.denyEntries(A, 1, 99)).toHaveLength(18);
    expect(result.enforced).toHaveLength(18);
    expect(result.overflow).toEqual([
      "192.0.2.7",
      "192.0.2.6",
      "192.0.2.5",
      "192.0.2.4",
      "192.0.2.3",
      "192.0.2.2",
      "192.0.2.1",
    ]);
    expect(result.failed).toEqual([]);
    expect(ec2.calls.every((call) => call.ok)).toBe(true);
  });

  it("evicts the oldest ban for a newer one when full, without putting the evicted one back", async () => {
    const small = new FakeEc2(5); // allow + default deny leave room for 3 IPv4 bans
    small.createAcl(A);
    const make = () =>
      new NetworkAclTarget({
        client: small.client,
        registry,
        networkAclIds: [A],
        ruleRange: { first: 1, last: 9 },
        ruleLimit: 5,
        retry: instant,
      });
    const bans = [1, 2, 3, 4].map((n) => ({ ip: `192.0.2.${n}`, bannedAt: n }));
    await make().sync(bans.slice(0, 3));
    const lookups: string[][] = [];
    const result = await make().sync(bans, async (ips) => {
      lookups.push([...ips]);
      return new Map(bans.filter((ban) => ips.includes(ban.ip)).map((ban) => [ban.ip, ban]));
    });
    expect(small.denyEntries(A, 1, 9)).toEqual(["1 192.0.2.3/32", "2 192.0.2.2/32", "3 192.0.2.4/32"]);
    expect(result).toMatchObject({ overflow: ["192.0.2.1"], failed: [], warnings: [], writes: 2 });
    expect(lookups).toEqual([["192.0.2.4"]]); // asked about the difference only, never again about the evicted one
  });

  it("makes its client at the first call when given a factory (no EC2 SDK at cold start), once", async () => {
    let made = 0;
    const lazy = new NetworkAclTarget({
      client: async () => {
        made++;
        return ec2.client;
      },
      registry,
      networkAclIds: [A],
      ruleRange: { first: 1, last: 99 },
      retry: instant,
    });
    expect(made).toBe(0);
    await lazy.add([{ ip: "192.0.2.1", bannedAt: 1 }]);
    await lazy.sync([{ ip: "192.0.2.1", bannedAt: 1 }]);
    expect(made).toBe(1);
    expect(ec2.denyEntries(A, 1, 99)).toEqual(["1 192.0.2.1/32"]);
  });

  it("uses a raised quota of 40 when configured", async () => {
    const big = new FakeEc2(40);
    big.createAcl(A);
    const bans = Array.from({ length: 45 }, (_, i) => ({ ip: `192.0.2.${i + 1}`, bannedAt: i }));
    const result = await new NetworkAclTarget({
      client: big.client,
      registry,
      networkAclIds: [A],
      ruleRange: { first: 1, last: 99 },
      ruleLimit: 40,
      retry: instant,
    }).sync(bans);
    expect(big.denyEntries(A, 1, 99)).toHaveLength(38);
    expect(result.overflow).toHaveLength(7);
  });

  it("reports a ban as overflow when the quota is lower than configured, and frees its claim", async () => {
    const small = new FakeEc2(3);
    small.createAcl(A);
    const make = (limit: number) =>
      new NetworkAclTarget({
        client: small.client,
        registry,
        networkAclIds: [A],
        ruleRange: { first: 1, last: 9 },
        ruleLimit: limit,
        retry: instant,
      });
    const bans = [
      { ip: "192.0.2.1", bannedAt: 1 },
      { ip: "192.0.2.2", bannedAt: 2 },
    ];
    const result = await make(20).sync(bans);
    expect(result.enforced).toEqual(["192.0.2.2"]);
    expect(result.overflow).toEqual(["192.0.2.1"]);
    expect(result.warnings).toEqual([expect.stringMatching(/NetworkAclEntryLimitExceeded/)]);
    expect([...registry.byAcl.get(A)!.keys()]).toEqual([1]);
    const fixed = await make(3).sync(bans);
    expect(fixed.failed).toEqual([]);
    expect(fixed.overflow).toEqual(["192.0.2.1"]);
  });

  it("retries throttled calls and reports calls that keep failing", async () => {
    ec2.failNext("CreateNetworkAclEntry", "RequestLimitExceeded", 2);
    const ok = await target().sync([{ ip: "192.0.2.1", bannedAt: 1 }]);
    expect(ok.enforced).toEqual(["192.0.2.1"]);
    ec2.failNext("CreateNetworkAclEntry", "UnauthorizedOperation");
    const denied = await target().sync([
      { ip: "192.0.2.1", bannedAt: 1 },
      { ip: "192.0.2.2", bannedAt: 2 },
    ]);
    expect(denied.enforced).toEqual(["192.0.2.1"]);
    expect(denied.failed).toEqual([{ ip: "192.0.2.2", reason: expect.stringMatching(/UnauthorizedOperation/) }]);
  });

  it("counts a ban only when every ACL carries it", async () => {
    ec2.acls.delete(B);
    const result = await target([A, B]).sync([{ ip: "192.0.2.1", bannedAt: 1 }]);
    expect(ec2.denyEntries(A, 1, 99)).toEqual(["1 192.0.2.1/32"]);
    expect(result.enforced).toEqual([]);
    expect(result.failed).toEqual([{ ip: "192.0.2.1", reason: expect.stringMatching(/InvalidNetworkAclID.NotFound/) }]);
  });

  it("rejects a bad configuration at construction", () => {
    const make = (options: object) => () =>
      new NetworkAclTarget({
        client: ec2.client,
        registry,
        networkAclIds: [A],
        ruleRange: { first: 1, last: 99 },
        ...options,
      });
    expect(make({ ruleRange: { first: 0, last: 99 } })).toThrow(ConfigError);
    expect(make({ ruleLimit: 41 })).toThrow(/from 2 to 40/);
    expect(make({ networkAclIds: ["sg-0123456789abcdef0"] })).toThrow(/not a network ACL id/);
  });
});

describe("FakeEc2 keeps the real rules", () => {
  it("rejects duplicate and out-of-range rule numbers, bad blocks, missing entries and the quota", async () => {
    const ec2 = new FakeEc2(3);
    ec2.createAcl(A);
    const entry = { NetworkAclId: A, Egress: false, Protocol: "-1", RuleAction: "deny" as const };
    const create = (RuleNumber: number, block: object) =>
      ec2.client.send(new CreateNetworkAclEntryCommand({ ...entry, RuleNumber, ...block }));
    await expect(create(0, { CidrBlock: "192.0.2.1/32" })).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(create(32767, { CidrBlock: "192.0.2.1/32" })).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(create(1, { CidrBlock: "192.0.2.1" })).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(create(1, { CidrBlock: "2001:db8::1/128" })).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(create(1, {})).rejects.toMatchObject({ name: "InvalidParameterCombination" });
    await create(1, { CidrBlock: "192.0.2.1/32" });
    await expect(create(1, { CidrBlock: "192.0.2.2/32" })).rejects.toMatchObject({
      name: "NetworkAclEntryAlreadyExists",
    });
    // allow 100 + default + rule 1 = 3 IPv4 ingress rules: the quota of 3 is reached; IPv6 and egress are separate.
    await expect(create(2, { CidrBlock: "192.0.2.2/32" })).rejects.toMatchObject({
      name: "NetworkAclEntryLimitExceeded",
    });
    await expect(create(3, { Ipv6CidrBlock: "2001:db8::1/128" })).resolves.toBeDefined();
    await expect(
      ec2.client.send(new ReplaceNetworkAclEntryCommand({ ...entry, RuleNumber: 7, CidrBlock: "192.0.2.2/32" })),
    ).rejects.toMatchObject({ name: "InvalidNetworkAclEntry.NotFound" });
    await expect(
      ec2.client.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: A, RuleNumber: 7, Egress: false })),
    ).rejects.toMatchObject({ name: "InvalidNetworkAclEntry.NotFound" });
    await expect(
      ec2.client.send(
        new DeleteNetworkAclEntryCommand({ NetworkAclId: "acl-0000000000000000f", RuleNumber: 1, Egress: false }),
      ),
    ).rejects.toMatchObject({ name: "InvalidNetworkAclID.NotFound" });
  });
});

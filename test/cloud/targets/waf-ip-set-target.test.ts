import { beforeEach, describe, expect, it } from "vitest";
import type { TargetBan } from "../../../cloud/targets/ban-target.js";
import { planIpSet } from "../../../cloud/targets/ip-set-plan.js";
import { WafIpSetTarget } from "../../../cloud/targets/waf-ip-set-target.js";
import { type FakeIpSet, FakeWaf } from "../fakes/waf-fake.js";

const instant = { sleep: async () => {}, random: () => 0.5 };

describe("planIpSet", () => {
  it("keeps the newest bans within capacity and reports the rest", () => {
    const bans = [
      { ip: "192.0.2.1", bannedAt: 100 },
      { ip: "192.0.2.2", bannedAt: 300 },
      { ip: "192.0.2.3", bannedAt: 200 },
    ];
    const plan = planIpSet(bans, ["192.0.2.1/32"], 2);
    expect(plan.addresses).toEqual(["192.0.2.2/32", "192.0.2.3/32"]);
    expect(plan.overflow).toEqual(["192.0.2.1"]);
    expect(plan.toAdd).toEqual(["192.0.2.2/32", "192.0.2.3/32"]);
    expect(plan.toRemove).toEqual(["192.0.2.1/32"]);
    expect(plan.unchanged).toBe(false);
  });

  it("sees no change when WAF spells the same addresses differently", () => {
    const plan = planIpSet([{ ip: "2001:db8::1", bannedAt: 1 }], ["2001:0DB8:0000::0001/128"]);
    expect(plan.unchanged).toBe(true);
  });

  it("removes entries it cannot read", () => {
    const plan = planIpSet([], ["garbage"]);
    expect(plan.toRemove).toEqual(["garbage"]);
    expect(plan.unchanged).toBe(false);
  });
});

describe("WafIpSetTarget on a WAF that enforces lock tokens and limits", () => {
  let waf: FakeWaf;
  let v4: FakeIpSet;
  let v6: FakeIpSet;
  const target = (capacity?: number) =>
    new WafIpSetTarget({
      client: waf.client,
      scope: "REGIONAL",
      ipv4: { name: v4.name, id: v4.id },
      ipv6: { name: v6.name, id: v6.id },
      retry: instant,
      ...(capacity ? { capacity } : {}),
    });

  beforeEach(() => {
    waf = new FakeWaf();
    v4 = waf.createIpSet("cloudjail-v4", "REGIONAL", "IPV4", ["203.0.113.9/32"]);
    v6 = waf.createIpSet("cloudjail-v6", "REGIONAL", "IPV6");
  });

  it("puts each family in its own set as /32 and /128 blocks, removing what is not banned", async () => {
    const bans: TargetBan[] = [
      { ip: "192.0.2.10", bannedAt: 10 },
      { ip: "2001:db8::10", bannedAt: 11 },
    ];
    const result = await target().sync(bans);
    expect(v4.addresses).toEqual(["192.0.2.10/32"]);
    expect(v6.addresses).toEqual(["2001:db8::10/128"]);
    expect([...result.enforced].sort()).toEqual(["192.0.2.10", "2001:db8::10"]);
    expect(result.failed).toEqual([]);
    expect(result.writes).toBe(2);
  });

  it("does not write a set that already matches", async () => {
    await target().sync([{ ip: "192.0.2.10", bannedAt: 10 }]);
    const before = waf.successfulWrites;
    const again = await target().sync([{ ip: "192.0.2.10", bannedAt: 10 }]);
    expect(waf.successfulWrites).toBe(before);
    expect(again.writes).toBe(0);
    expect(again.enforced).toEqual(["192.0.2.10"]);
  });

  it("rereads and retries when another writer changed the set in between (stale LockToken)", async () => {
    waf.concurrentWriterBeforeNextUpdates(2, (set) => set.addresses.push("198.51.100.1/32"));
    const result = await target().sync([{ ip: "192.0.2.10", bannedAt: 10 }]);
    expect(waf.calls.filter((c) => c.operation === "UpdateIPSet").map((c) => c.ok)).toEqual([false, false, true]);
    expect(v4.addresses).toEqual(["192.0.2.10/32"]);
    expect(result.enforced).toEqual(["192.0.2.10"]);
  });

  it("backs off on throttling and limits errors", async () => {
    waf.failNext("UpdateIPSet", "ThrottlingException");
    waf.failNext("UpdateIPSet", "WAFLimitsExceededException");
    const result = await target().sync([{ ip: "192.0.2.10", bannedAt: 10 }]);
    expect(result.failed).toEqual([]);
    expect(v4.addresses).toEqual(["192.0.2.10/32"]);
  });

  it("reports the bans as failed, not enforced, when every attempt fails; the next sync finishes the job", async () => {
    await target().sync([{ ip: "192.0.2.10", bannedAt: 10 }]);
    waf.failNext("UpdateIPSet", "WAFOptimisticLockException", 5);
    const bans = [
      { ip: "192.0.2.10", bannedAt: 10 },
      { ip: "192.0.2.11", bannedAt: 20 },
    ];
    const failing = await target().sync(bans);
    expect(failing.enforced).toEqual(["192.0.2.10"]);
    expect(failing.failed.map((f) => f.ip)).toEqual(["192.0.2.11"]);
    expect(failing.failed[0]!.reason).toMatch(/cloudjail-v4: .*WAFOptimisticLockException/);
    const healed = await target().sync(bans);
    expect(healed.failed).toEqual([]);
    expect(v4.addresses.sort()).toEqual(["192.0.2.10/32", "192.0.2.11/32"]);
  });

  it("does not retry errors that another attempt cannot fix", async () => {
    waf.failNext("GetIPSet", "AccessDeniedException");
    const result = await target().sync([{ ip: "192.0.2.10", bannedAt: 10 }]);
    expect(result.failed).toEqual([{ ip: "192.0.2.10", reason: expect.stringMatching(/AccessDeniedException/) }]);
    expect(waf.calls.filter((c) => c.operation === "GetIPSet")).toHaveLength(2);
  });

  it("keeps the newest bans when the set is full and reports the overflow", async () => {
    const bans = Array.from({ length: 5 }, (_, i) => ({ ip: `192.0.2.${i + 1}`, bannedAt: i }));
    const result = await target(3).sync(bans);
    expect(v4.addresses).toEqual(["192.0.2.5/32", "192.0.2.4/32", "192.0.2.3/32"]);
    expect(result.overflow).toEqual(["192.0.2.2", "192.0.2.1"]);
    expect(result.warnings[0]).toMatch(/2 bans do not fit in 3 addresses/);
  });

  it("fills a real-size set to exactly 10,000 addresses", async () => {
    const bans = Array.from({ length: 10_005 }, (_, i) => ({
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      bannedAt: i,
    }));
    const result = await target().sync(bans);
    expect(v4.addresses).toHaveLength(10_000);
    expect(result.overflow).toHaveLength(5);
    expect(result.enforced).toHaveLength(10_000);
  });
});

describe("FakeWaf keeps the real rules", () => {
  it("rejects stale tokens, bad addresses, /0 and more than 10,000 addresses", async () => {
    const { GetIPSetCommand, UpdateIPSetCommand } = await import("@aws-sdk/client-wafv2");
    const waf = new FakeWaf(2);
    const set = waf.createIpSet("s", "REGIONAL", "IPV4");
    const ref = { Name: "s", Id: set.id, Scope: "REGIONAL" as const };
    const { LockToken } = await waf.client.send(new GetIPSetCommand(ref));
    const update = (Addresses: string[], token = LockToken) =>
      waf.client.send(new UpdateIPSetCommand({ ...ref, Addresses, LockToken: token }));
    await expect(update(["192.0.2.1"])).rejects.toThrow(/formatting/);
    await expect(update(["0.0.0.0/0"])).rejects.toThrow(/formatting/);
    await expect(update(["2001:db8::1/128"])).rejects.toThrow(/formatting/);
    await expect(update(["192.0.2.1/32", "192.0.2.2/32", "192.0.2.3/32"])).rejects.toMatchObject({
      name: "WAFLimitsExceededException",
    });
    const { NextLockToken } = await update(["192.0.2.1/32"]);
    expect(NextLockToken).not.toBe(LockToken);
    await expect(update(["192.0.2.2/32"])).rejects.toMatchObject({ name: "WAFOptimisticLockException" });
    await expect(update(["192.0.2.2/32"], NextLockToken)).resolves.toBeDefined();
    await expect(waf.client.send(new GetIPSetCommand({ ...ref, Id: "nope" }))).rejects.toMatchObject({
      name: "WAFNonexistentItemException",
    });
  });
});

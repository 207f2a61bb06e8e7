import { describe, expect, it } from "vitest";
import { type AclEntry, planNetworkAcl, ruleRangeProblem } from "../../../cloud/targets/network-acl-plan.js";

const allowV4: AclEntry = {
  ruleNumber: 100,
  egress: false,
  ruleAction: "allow",
  protocol: "-1",
  cidrBlock: "0.0.0.0/0",
};
const defaultV4: AclEntry = {
  ruleNumber: 32767,
  egress: false,
  ruleAction: "deny",
  protocol: "-1",
  cidrBlock: "0.0.0.0/0",
};
const defaultV6: AclEntry = {
  ruleNumber: 32767,
  egress: false,
  ruleAction: "deny",
  protocol: "-1",
  ipv6CidrBlock: "::/0",
};
const deny = (ruleNumber: number, block: string): AclEntry => ({
  ruleNumber,
  egress: false,
  ruleAction: "deny",
  protocol: "-1",
  ...(block.includes(":") ? { ipv6CidrBlock: block } : { cidrBlock: block }),
});
const range = { first: 10, last: 49 };

describe("planNetworkAcl", () => {
  it("creates deny entries at the lowest free numbers of the range", () => {
    const plan = planNetworkAcl(
      [allowV4, defaultV4, defaultV6],
      [
        { ip: "192.0.2.1", bannedAt: 2 },
        { ip: "2001:db8::1", bannedAt: 1 },
      ],
      range,
    );
    expect(plan.changes).toEqual([
      { kind: "create", ruleNumber: 10, family: 4, cidr: "192.0.2.1/32", ip: "192.0.2.1" },
      { kind: "create", ruleNumber: 11, family: 6, cidr: "2001:db8::1/128", ip: "2001:db8::1" },
    ]);
    expect(plan.kept).toEqual([]);
  });

  it("keeps what is there, replaces obsolete entries of the same family, deletes the rest", () => {
    const entries = [
      allowV4,
      defaultV4,
      defaultV6,
      deny(10, "192.0.2.1/32"),
      deny(11, "192.0.2.9/32"),
      deny(12, "2001:db8::9/128"),
    ];
    const plan = planNetworkAcl(
      entries,
      [
        { ip: "192.0.2.1", bannedAt: 1 },
        { ip: "192.0.2.2", bannedAt: 2 },
      ],
      range,
    );
    expect(plan.kept).toEqual(["192.0.2.1"]);
    expect(plan.changes).toEqual([
      { kind: "replace", ruleNumber: 11, family: 4, cidr: "192.0.2.2/32", ip: "192.0.2.2" },
      { kind: "delete", ruleNumber: 12, family: 6 },
    ]);
  });

  it("removes entries in the range that cloudjail did not write (allow rules, protocol-specific denies)", () => {
    const foreign: AclEntry = { ...deny(20, "192.0.2.1/32"), protocol: "6" };
    const plan = planNetworkAcl([defaultV4, foreign, { ...deny(21, "10.0.0.0/8"), ruleAction: "allow" }], [], range);
    expect(plan.changes.map((c) => `${c.kind} ${c.ruleNumber}`)).toEqual(["delete 20", "delete 21"]);
  });

  it("counts rules outside the range and the default deny rule against the per-family limit", () => {
    // limit 5: IPv4 has allow 100 + default 32767 outside the range -> room for 3 IPv4 bans; IPv6 has room for 4.
    const bans = [
      ...Array.from({ length: 5 }, (_, i) => ({ ip: `192.0.2.${i}`, bannedAt: i })),
      ...Array.from({ length: 5 }, (_, i) => ({ ip: `2001:db8::${i}`, bannedAt: i })),
    ];
    const plan = planNetworkAcl([allowV4, defaultV4, defaultV6], bans, range, 5);
    const created = plan.changes.map((c) => c.ip);
    expect(created.filter((ip) => ip?.includes("."))).toEqual(["192.0.2.4", "192.0.2.3", "192.0.2.2"]);
    expect(created.filter((ip) => ip?.includes(":"))).toEqual([
      "2001:db8::4",
      "2001:db8::3",
      "2001:db8::2",
      "2001:db8::1",
    ]);
    expect(plan.overflow).toEqual(["192.0.2.1", "192.0.2.0", "2001:db8::0"]);
  });

  it("never plans more entries than the range has numbers", () => {
    const bans = Array.from({ length: 5 }, (_, i) => ({ ip: `192.0.2.${i}`, bannedAt: i }));
    const plan = planNetworkAcl([defaultV4], bans, { first: 1, last: 2 }, 40);
    expect(plan.changes.map((c) => c.ruleNumber)).toEqual([1, 2]);
    expect(plan.overflow).toHaveLength(3);
  });

  it("warns when an allow rule comes before the ban range", () => {
    const plan = planNetworkAcl([{ ...allowV4, ruleNumber: 5 }, defaultV4], [], range);
    expect(plan.warnings).toEqual([expect.stringMatching(/allow rule 5 comes before the ban range 10-49/)]);
  });

  it.each([
    [{ first: 0, last: 10 }, 20],
    [{ first: 10, last: 32767 }, 20],
    [{ first: 20, last: 10 }, 20],
    [{ first: 1, last: 10 }, 41],
    [{ first: 1.5, last: 10 }, 20],
  ])("rejects range %j with limit %i", (r, limit) => {
    expect(ruleRangeProblem(r, limit)).toBeDefined();
  });
});

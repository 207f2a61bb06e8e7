import { describe, expect, it } from "vitest";
import {
  type AclEntry,
  planAclAddition,
  planAclSync,
  readAcl,
  ruleRangeProblem,
} from "../../../cloud/targets/network-acl-plan.js";

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

const claim = (ruleNumber: number, cidr: string, claimedAt = 1000) => ({ ruleNumber, cidr, claimedAt });
const base = [allowV4, defaultV4, defaultV6];

describe("readAcl: whose entries are whose", () => {
  it("takes an entry for cloudjail's only when a claim names its number and its block", () => {
    const view = readAcl(
      [...base, deny(10, "192.0.2.1/32"), deny(11, "192.0.2.9/32"), deny(12, "198.51.100.0/24")],
      [claim(10, "192.0.2.1/32"), claim(11, "192.0.2.8/32")],
      range,
    );
    expect(view.owned).toEqual([{ ruleNumber: 10, family: 4, cidr: "192.0.2.1/32", ip: "192.0.2.1" }]);
    expect(view.foreign.map((entry) => entry.ruleNumber)).toEqual([11, 12]);
    // the claim on 11 names another block: someone replaced our entry, the claim is stale
    expect(view.stale).toEqual([claim(11, "192.0.2.8/32")]);
    expect(view.warnings).toEqual([
      expect.stringMatching(/rule 11 \(deny 192\.0\.2\.9\/32\) .* not created by cloudjail/),
      expect.stringMatching(/rule 12 .* not created by cloudjail/),
    ]);
  });

  it("keeps claims in flight (their numbers and room are taken) and drops those older than the grace", () => {
    const view = readAcl(
      base,
      [claim(10, "192.0.2.1/32", 1000), claim(11, "2001:db8::1/128", 100)],
      range,
      20,
      1100,
      300,
    );
    expect(view.inFlight).toEqual([claim(10, "192.0.2.1/32", 1000)]);
    expect(view.stale).toEqual([claim(11, "2001:db8::1/128", 100)]);
    expect([...view.taken]).toEqual([10]);
    // IPv4: 20 - allow - default - the claim in flight; IPv6: 20 - default
    expect(view.room).toEqual({ 4: 17, 6: 19 });
  });

  it("warns when an allow rule comes before the ban range", () => {
    const view = readAcl([{ ...allowV4, ruleNumber: 5 }, defaultV4], [], range);
    expect(view.warnings).toEqual([expect.stringMatching(/allow rule 5 comes before the ban range 10-49/)]);
  });
});

describe("planAclSync", () => {
  it("keeps what is there, deletes cloudjail's obsolete and duplicate entries, creates the missing", () => {
    const entries = [...base, deny(10, "192.0.2.1/32"), deny(11, "192.0.2.9/32"), deny(12, "192.0.2.1/32")];
    const claims = [claim(10, "192.0.2.1/32"), claim(11, "192.0.2.9/32"), claim(12, "192.0.2.1/32")];
    const plan = planAclSync(
      readAcl(entries, claims, range),
      [
        { ip: "192.0.2.1", bannedAt: 1 },
        { ip: "192.0.2.2", bannedAt: 2 },
      ],
      range,
    );
    expect(plan.kept).toEqual(["192.0.2.1"]);
    expect(plan.deletes.map((entry) => entry.ruleNumber)).toEqual([11, 12]);
    expect(plan.creates).toEqual([{ family: 4, cidr: "192.0.2.2/32", ip: "192.0.2.2" }]);
  });

  it("never deletes the user's entries, even with no ban at all", () => {
    const userDeny: AclEntry = { ...deny(20, "192.0.2.1/32"), protocol: "6" };
    const userAllow: AclEntry = { ...deny(21, "10.0.0.0/8"), ruleAction: "allow" };
    const plan = planAclSync(readAcl([defaultV4, userDeny, userAllow, deny(22, "192.0.2.5/32")], [], range), [], range);
    expect(plan).toEqual({ deletes: [], creates: [], kept: [], overflow: [] });
  });

  it("counts every ingress rule of the family against the limit; cloudjail's own entries count as room", () => {
    // limit 5: IPv4 has allow 100 + default outside the range and one user rule inside -> room for 2 IPv4 bans.
    const entries = [...base, deny(10, "192.0.2.100/32"), deny(11, "198.51.100.0/24")];
    const view = readAcl(entries, [claim(10, "192.0.2.100/32")], range, 5);
    const bans = Array.from({ length: 4 }, (_, i) => ({ ip: `192.0.2.${i}`, bannedAt: i }));
    const plan = planAclSync(view, bans, range);
    expect(plan.creates.map((create) => create.ip)).toEqual(["192.0.2.3", "192.0.2.2"]);
    expect(plan.deletes.map((entry) => entry.ruleNumber)).toEqual([10]);
    expect(plan.overflow).toEqual(["192.0.2.1", "192.0.2.0"]);
  });

  it("never plans more entries than the range has free numbers", () => {
    const bans = Array.from({ length: 5 }, (_, i) => ({ ip: `192.0.2.${i}`, bannedAt: i }));
    const small = { first: 1, last: 3 };
    const plan = planAclSync(readAcl([defaultV4, deny(2, "10.0.0.0/8")], [], small, 40), bans, small);
    expect(plan.creates).toHaveLength(2);
    expect(plan.overflow).toHaveLength(3);
  });
});

describe("planAclAddition", () => {
  it("adds what is missing and deletes nothing, even when full", () => {
    const entries = [...base, deny(10, "192.0.2.1/32")];
    const view = readAcl(entries, [claim(10, "192.0.2.1/32")], range, 3);
    const plan = planAclAddition(
      view,
      [
        { ip: "192.0.2.1", bannedAt: 1 },
        { ip: "192.0.2.2", bannedAt: 2 },
        { ip: "2001:db8::2", bannedAt: 2 },
      ],
      range,
    );
    expect(plan.kept).toEqual(["192.0.2.1"]);
    expect(plan.deletes).toEqual([]);
    expect(plan.creates).toEqual([{ family: 6, cidr: "2001:db8::2/128", ip: "2001:db8::2" }]);
    expect(plan.overflow).toEqual(["192.0.2.2"]);
  });
});

describe("ruleRangeProblem", () => {
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

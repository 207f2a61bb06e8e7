import { describe, expect, it } from "vitest";
import { IgnoreIpSyntaxError, IgnoreList, parseIgnoreIp, resolveIgnoreNames } from "../../shared/jail/ignore-list.js";

describe("ignoreip", () => {
  const spec = parseIgnoreIp("127.0.0.1/8 ::1, 192.168.0.0/255.255.0.0\n  2001:db8:1::/48 203.0.113.9 gw.example.org");

  it("parses addresses, CIDR ranges, dotted netmasks and names, separated by spaces, commas or lines", () => {
    expect(spec.networks).toHaveLength(5);
    expect(spec.names).toEqual(["gw.example.org"]);
  });

  it("matches every spelling of an ignored address and nothing else", () => {
    const list = new IgnoreList(spec);
    for (const ip of ["127.5.6.7", "::1", "0:0:0:0:0:0:0:1", "192.168.44.1", "2001:DB8:1:ffff::9", "203.0.113.9"]) {
      expect(list.contains(ip), ip).toBe(true);
    }
    expect(list.contains("::ffff:192.168.1.1")).toBe(true);
    for (const ip of ["128.0.0.1", "192.169.0.1", "2001:db8:2::1", "203.0.113.10", "::2", "gw.example.org"]) {
      expect(list.contains(ip), ip).toBe(false);
    }
  });

  it("answers each address by itself when the same ones are asked again in any order", () => {
    const list = new IgnoreList(spec);
    const asked = ["203.0.113.9", "203.0.113.9", "203.0.113.8", "203.0.113.8", "203.0.113.9", "::1", "::2", "::1"];
    expect(asked.map((ip) => list.contains(ip))).toEqual([true, true, false, false, true, true, false, true]);
    // an empty list ignores nothing, a host name or garbage included
    const empty = new IgnoreList();
    expect(["127.0.0.1", "::1", "gw.example.org", "x"].map((ip) => empty.contains(ip))).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it("ignores the addresses the DNS names resolve to, and the host's own with ignoreself", async () => {
    const resolved = await resolveIgnoreNames(spec.names, async (name) =>
      name === "gw.example.org" ? ["198.51.100.20", "2001:db8:9::20"] : [],
    );
    const list = new IgnoreList(spec, { resolvedNames: resolved, selfAddresses: ["198.51.100.1"] });
    expect(list.contains("198.51.100.20")).toBe(true);
    expect(list.contains("2001:db8:9::20")).toBe(true);
    expect(list.contains("198.51.100.1")).toBe(true);
    expect(list.contains("198.51.100.21")).toBe(false);
  });

  it("treats a name that does not resolve as ignoring nothing", async () => {
    const resolved = await resolveIgnoreNames(["nowhere.invalid"], async () => {
      throw new Error("ENOTFOUND");
    });
    expect(resolved.get("nowhere.invalid")).toEqual([]);
  });

  it.each([
    ["10.0.0.0/33", "invalid prefix length"],
    ["300.1.2.3", "not an IP address"],
    ["bad_host!", "not an IP address"],
    ["10.0.0.0/255.0.255.0", "contiguous"],
  ])("rejects %j", (entry, reason) => {
    expect(() => parseIgnoreIp(`127.0.0.1 ${entry}`)).toThrow(IgnoreIpSyntaxError);
    expect(() => parseIgnoreIp(entry)).toThrow(reason);
  });
});

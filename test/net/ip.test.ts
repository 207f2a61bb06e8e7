import { describe, expect, it } from "vitest";
import {
  networkContains,
  normalizeAddress,
  normalizeIp,
  parseIp,
  parseNetwork,
  parseNetworkStrict,
} from "../../shared/net/ip.js";

describe("normalizeIp", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1"],
    [" 10.0.0.255 ", "10.0.0.255"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["[2001:db8::a]", "2001:db8::a"],
    ["::ffff:192.0.2.7", "192.0.2.7"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80:0:0:0:0:0:0:0", "fe80::"],
    ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["fe80::1%eth0.100", "fe80::1"],
    ["fe80::1%2", "fe80::1"],
    ["::FFFF:c000:0207", "192.0.2.7"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ])("%s -> %s", (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });

  it.each([
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3",
    "1.2.3.4.5",
    "host.example.com",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "%eth0",
    "12345::",
    "",
    // a zone id must look like an interface name: attacker text after '%' is refused, not dropped
    "fe80::1%",
    "fe80::1%eth0%eth1",
    "fe80::1%eth0 1.2.3.4",
    "fe80::1%a/b",
    "fe80::1%0123456789abcdef",
  ])("rejects %j", (input) => {
    expect(parseIp(input)).toBeUndefined();
  });
});

describe("normalizeAddress", () => {
  it("keeps what is no address as it is (failure ids, host names)", () => {
    expect(normalizeAddress("user@example")).toBe("user@example");
    expect(normalizeAddress("2001:DB8::1")).toBe("2001:db8::1");
  });
});

describe("parseNetwork", () => {
  it.each([
    ["192.0.2.77/24", "192.0.2.0/24"],
    ["192.0.2.77/255.255.255.0", "192.0.2.0/24"],
    ["10.1.2.3", "10.1.2.3/32"],
    ["2001:db8::1/32", "2001:db8::/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["2001:db8::/ffff:ffff::", "2001:db8::/32"],
    ["::ffff:10.0.0.0/104", "10.0.0.0/8"],
  ])("%s -> %s", (input, expected) => {
    expect(parseNetwork(input)?.text).toBe(expected);
  });

  it.each(["192.0.2.0/33", "192.0.2.0/255.0.255.0", "2001:db8::/129", "a/24", "1.2.3.4/24/1"])(
    "rejects %j",
    (input) => {
      expect(parseNetwork(input)).toBeUndefined();
    },
  );

  it("checks membership within one family only", () => {
    const net = parseNetwork("192.0.2.0/24")!;
    expect(networkContains(net, parseIp("192.0.2.200")!)).toBe(true);
    expect(networkContains(net, parseIp("192.0.3.1")!)).toBe(false);
    expect(networkContains(parseNetwork("::/0")!, parseIp("192.0.2.1")!)).toBe(false);
    expect(networkContains(parseNetwork("2001:db8::/32")!, parseIp("2001:db8:ffff::1")!)).toBe(true);
  });
});

describe("parseNetworkStrict", () => {
  it.each(["10.0.0.0/33", "10.0.0.0/255.0.255.0", "10.0.0.0/ffff::", "2001:db8::/129", "10.0.0.1/8/8"])(
    "says why the mask of %s is wrong",
    (text) => {
      expect(() => parseNetworkStrict(text)).toThrow(RangeError);
    },
  );

  it("returns undefined for what holds no address (a host name)", () => {
    expect(parseNetworkStrict("example.com")).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { normalizeAddress, parseIpAddress, parseIpNetwork } from "../../shared/jail/ip-address.js";

describe("normalizeAddress", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["::ffff:192.0.2.7", "192.0.2.7"],
    ["::FFFF:c000:0207", "192.0.2.7"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["::", "::"],
    ["::1", "::1"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["user@example", "user@example"],
  ])("%s -> %s", (input, expected) => {
    expect(normalizeAddress(input)).toBe(expected);
  });

  it("rejects what is not an address", () => {
    for (const text of ["300.1.1.1", "1.2.3", "2001:db8::1::2", "example.com", ""]) {
      expect(parseIpAddress(text)).toBeUndefined();
    }
  });
});

describe("parseIpNetwork", () => {
  it.each([
    ["10.0.0.0/8", { family: 4, prefix: 8, value: 0x0a000000n }],
    ["10.1.2.3/8", { family: 4, prefix: 8, value: 0x0a000000n }],
    ["192.168.0.0/255.255.0.0", { family: 4, prefix: 16, value: 0xc0a80000n }],
    ["2001:db8::/32", { family: 6, prefix: 32, value: 0x20010db8n << 96n }],
    ["2001:db8::/ffff:ffff::", { family: 6, prefix: 32, value: 0x20010db8n << 96n }],
    ["::ffff:10.0.0.0/104", { family: 4, prefix: 8, value: 0x0a000000n }],
    ["192.0.2.1", { family: 4, prefix: 32, value: 0xc0000201n }],
  ])("%s", (text, expected) => {
    expect(parseIpNetwork(text)).toEqual(expected);
  });

  it.each(["10.0.0.0/33", "10.0.0.0/255.0.255.0", "10.0.0.0/ffff::", "2001:db8::/129"])(
    "rejects the mask of %s",
    (text) => {
      expect(() => parseIpNetwork(text)).toThrow(RangeError);
    },
  );
});

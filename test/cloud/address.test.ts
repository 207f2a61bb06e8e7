import { describe, expect, it } from "vitest";
import { canonicalCidr, canonicalIp, hostCidr, InvalidAddressError, ipFamily } from "../../cloud/address.js";

describe("canonical addresses", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::1:0:0:0", "fe80::1:0:0:0"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
  ])("%s -> %s", (input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
  });

  it("gives host blocks /32 and /128", () => {
    expect(hostCidr("198.51.100.7")).toBe("198.51.100.7/32");
    expect(hostCidr("2001:DB8::7")).toBe("2001:db8::7/128");
  });

  it.each(["", "1.2.3", "01.2.3.4", "1.2.3.4/32", "fe80::1%eth0", "example.com", "1.2.3.4 ", "::g"])(
    "rejects %j",
    (input) => {
      expect(ipFamily(input)).toBeUndefined();
      expect(() => hostCidr(input)).toThrow(InvalidAddressError);
    },
  );

  it("canonicalizes CIDR blocks and rejects bad prefixes", () => {
    expect(canonicalCidr("2001:db8:0::0001/128")).toBe("2001:db8::1/128");
    expect(canonicalCidr("10.0.0.0/8")).toBe("10.0.0.0/8");
    expect(canonicalCidr("10.0.0.1/33")).toBeUndefined();
    expect(canonicalCidr("::1/129")).toBeUndefined();
    expect(canonicalCidr("10.0.0.1")).toBeUndefined();
    expect(canonicalCidr("10.0.0.1/+8")).toBeUndefined();
  });
});

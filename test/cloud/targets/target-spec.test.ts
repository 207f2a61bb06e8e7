import { describe, expect, it } from "vitest";
import { parseBanTargetSpec, SecurityGroupTargetError } from "../../../cloud/targets/target-spec.js";
import { ConfigError } from "../../../shared/errors.js";

describe("ban target names", () => {
  it.each([
    ["waf", { kind: "waf", scope: "REGIONAL" }],
    ["WAF:cloudfront", { kind: "waf", scope: "CLOUDFRONT" }],
    ["acl-0123456789abcdef0", { kind: "network-acl", networkAclId: "acl-0123456789abcdef0" }],
  ])("%s", (input, expected) => {
    expect(parseBanTargetSpec(input)).toEqual(expected);
  });

  it.each(["sg-0123456789abcdef0", "security-group", "securitygroup:web", "sg:web"])(
    "refuses the security group %s, saying why and what to use",
    (input) => {
      const attempt = () => parseBanTargetSpec(input, { file: "jail.local", line: 7, option: "banaction" });
      expect(attempt).toThrow(SecurityGroupTargetError);
      expect(attempt).toThrow(
        /jail\.local:7 banaction: .*security groups cannot deny.*allow rules only.*network ACL.*acl-/,
      );
    },
  );

  it("refuses unknown names", () => {
    expect(() => parseBanTargetSpec("iptables")).toThrow(ConfigError);
    expect(() => parseBanTargetSpec("iptables")).toThrow(/unknown ban target "iptables"/);
  });
});

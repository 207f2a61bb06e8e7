import { describe, expect, it } from "vitest";
import { ENV, readRuntimeSettings } from "../../../cloud/runtime/runtime-settings.js";

const full = {
  [ENV.table]: "jails",
  [ENV.wafScope]: "REGIONAL",
  [ENV.wafIpv4]: "v4|id-4|REGIONAL",
  [ENV.wafIpv6]: "v6|id-6|REGIONAL",
  [ENV.naclIds]: "acl-01234567,acl-89abcdef",
  [ENV.naclRules]: "10-40",
  [ENV.naclLimit]: "30",
  [ENV.topicArn]: "arn:aws:sns:eu-west-1:123456789012:alerts",
  [ENV.alertTable]: "alerts",
  [ENV.label]: "prod",
  [ENV.announceUnbans]: "true",
};

describe("readRuntimeSettings", () => {
  it("reads what the construct sets", () => {
    expect(readRuntimeSettings(full)).toEqual({
      tableName: "jails",
      waf: { scope: "REGIONAL", ipv4: { name: "v4", id: "id-4" }, ipv6: { name: "v6", id: "id-6" } },
      nacl: { ids: ["acl-01234567", "acl-89abcdef"], range: { first: 10, last: 40 }, limit: 30 },
      topicArn: "arn:aws:sns:eu-west-1:123456789012:alerts",
      alertTable: "alerts",
      label: "prod",
      announceUnbans: true,
    });
  });

  it("leaves out the targets that are not configured", () => {
    expect(readRuntimeSettings({ [ENV.table]: "jails" })).toEqual({
      tableName: "jails",
      label: "cloudjail",
      announceUnbans: false,
    });
  });

  it.each([
    [{}, /CLOUDJAIL_TABLE is not set/],
    [{ ...full, [ENV.wafScope]: "GLOBAL" }, /CLOUDJAIL_WAF_SCOPE must be REGIONAL or CLOUDFRONT/],
    [{ ...full, [ENV.wafIpv6]: "nameonly" }, /CLOUDJAIL_WAF_IPV6 must be "name\|id\|scope"/],
    [{ ...full, [ENV.naclRules]: "10..40" }, /CLOUDJAIL_NACL_RULES must be "first-last"/],
  ])("names the broken variable (%j)", (env, message) => {
    expect(() => readRuntimeSettings(env)).toThrow(message);
  });
});

// The CDK app's -c options: each parsed into the construct's property, each mistake refused with the option's name;
// the Region check of CLOUDFRONT IP sets; every option documented.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CONTEXT_OPTIONS, checkDeployRegion, parseContextProps } from "../../cdk/deploy-context.js";
import { ConfigError } from "../../shared/errors.js";

const read = (values: Record<string, string>) => (name: string) => values[name];

describe("parseContextProps", () => {
  it.each([
    [{}, {}],
    [{ wafScope: "CLOUDFRONT" }, { wafScope: "CLOUDFRONT" }],
    [{ networkAclIds: "acl-1, acl-2" }, { networkAclIds: ["acl-1", "acl-2"] }],
    [{ networkAclRuleRange: "10-40" }, { networkAclRuleRange: { first: 10, last: 40 } }],
    [{ networkAclRuleLimit: "40" }, { networkAclRuleLimit: 40 }],
    [{ alertEmails: "a@example.com b@example.com" }, { alertEmails: ["a@example.com", "b@example.com"] }],
    [{ announceUnbans: "true" }, { announceUnbans: true }],
    [{ announceUnbans: "false" }, {}],
    [{ label: "prod web-1" }, { label: "prod web-1" }],
    [{ logRetention: "7" }, { logRetention: 7 }],
    [{ logRetention: "infinite" }, { logRetention: 9999 }],
    [{ ingestReservedConcurrency: "5" }, { ingestReservedConcurrency: 5 }],
    [{ reconcileReservedConcurrency: "1" }, { reconcileReservedConcurrency: 1 }],
  ])("%j -> %j", (values, expected) => {
    expect(parseContextProps(read(values))).toEqual(expected);
  });

  it.each([
    [{ wafScope: "GLOBAL" }, "-c wafScope: must be REGIONAL or CLOUDFRONT"],
    [{ networkAclRuleRange: "10" }, '-c networkAclRuleRange: must be "first-last"'],
    [{ networkAclRuleLimit: "twenty" }, "-c networkAclRuleLimit: must be a whole number"],
    [{ announceUnbans: "yes" }, "-c announceUnbans: must be true or false"],
    [{ label: "a\nb" }, "-c label: must be 1 to 40 letters"],
    [{ label: "x".repeat(41) }, "-c label: must be 1 to 40 letters"],
    [{ logRetention: "10" }, "-c logRetention: must be a number of days CloudWatch Logs offers"],
    [{ ingestReservedConcurrency: "0" }, "-c ingestReservedConcurrency: must be a whole number from 1"],
    [{ reconcileReservedConcurrency: "1.5" }, "-c reconcileReservedConcurrency: must be a whole number"],
  ])("refuses %j", (values, message) => {
    expect(() => parseContextProps(read(values))).toThrow(ConfigError);
    expect(() => parseContextProps(read(values))).toThrow(message);
  });
});

describe("checkDeployRegion", () => {
  it.each([
    [{ wafScope: "CLOUDFRONT" as const }, { CDK_DEFAULT_REGION: "us-east-1" }],
    [{ wafScope: "CLOUDFRONT" as const }, {}],
    [{ wafScope: "REGIONAL" as const }, { CDK_DEFAULT_REGION: "eu-west-1" }],
  ])("accepts %j in %j", (props, env) => {
    expect(() => checkDeployRegion(props, env)).not.toThrow();
  });

  it("refuses CLOUDFRONT IP sets when the CLI deploys outside us-east-1, saying how to deploy", () => {
    expect(() => checkDeployRegion({ wafScope: "CLOUDFRONT" }, { CDK_DEFAULT_REGION: "eu-west-1" })).toThrow(
      /CLOUDFRONT IP sets live in us-east-1, but this deployment goes to eu-west-1: deploy with AWS_REGION=us-east-1/,
    );
  });
});

describe("docs/cloud-mode.md", () => {
  it("documents every -c option", () => {
    const docs = readFileSync(fileURLToPath(new URL("../../docs/cloud-mode.md", import.meta.url)), "utf8");
    for (const option of [...CONTEXT_OPTIONS, "jails", "config", "stackName"]) expect(docs).toContain(`\`${option}\``);
  });
});

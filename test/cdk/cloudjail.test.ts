import { fileURLToPath } from "node:url";
import { App, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { CloudjailStack, type CloudjailStackProps } from "../../cdk/cloudjail-stack.js";
import { combinedFilterPattern } from "../../cdk/function-settings.js";
import { loadCloudJails } from "../../cloud/deployment/cloud-jail-file.js";
import type { DeploymentConfig } from "../../cloud/deployment/deployment-config.js";
import { SecurityGroupTargetError } from "../../cloud/targets/target-spec.js";

const deployment: DeploymentConfig = loadCloudJails({
  jailFile: fileURLToPath(new URL("../../cdk/example/jail.local", import.meta.url)),
  filterConfigDir: fileURLToPath(new URL("../../config/", import.meta.url)),
});
const ACL = "acl-0123456789abcdef0";

// Bundling is skipped in these tests (the `aws:cdk:bundling-stacks` context): they check the template, not esbuild.
function synth(props: Partial<CloudjailStackProps> = {}, withNag = false) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  if (withNag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new CloudjailStack(app, "Test", { deployment, ...props });
  // the template on demand: Template.fromStack synthesizes the app, after which app.synth() (the cdk-nag tests)
  // would return that assembly without running the checks
  return {
    app,
    stack,
    get template() {
      return Template.fromStack(stack);
    },
  };
}

describe("Cloudjail construct", () => {
  let template: Template;
  beforeAll(() => {
    template = synth({
      networkAclIds: [ACL],
      alertEmails: ["ops@example.com"],
      protectedResourceArns: [
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/0123456789abcdef",
      ],
    }).template;
  });

  it("stores jails in an on-demand table with TTL, point-in-time recovery and the active-bans index", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      BillingMode: "PAY_PER_REQUEST",
      TimeToLiveSpecification: { AttributeName: "exp", Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: "active-bans" })],
    });
  });

  it("keeps the alert outbox in its own on-demand table with TTL", () => {
    template.resourceCountIs("AWS::DynamoDB::Table", 2);
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      TimeToLiveSpecification: { AttributeName: "exp", Enabled: true },
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: Match.absent(),
    });
  });

  it("runs three arm64 functions on Node.js 24 with the settings in their environment", () => {
    template.resourceCountIs("AWS::Lambda::Function", 3);
    template.allResourcesProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Environment: {
        Variables: Match.objectLike({
          CLOUDJAIL_WAF_SCOPE: "REGIONAL",
          CLOUDJAIL_NACL_IDS: ACL,
          CLOUDJAIL_NACL_RULES: "1-90",
          CLOUDJAIL_NACL_LIMIT: "20",
        }),
      },
    });
    // no reserved concurrency by default: deploys on an account whose concurrency quota is 10
    template.hasResourceProperties("AWS::Lambda::Function", {
      Timeout: 55,
      ReservedConcurrentExecutions: Match.absent(),
    });
    template.allResourcesProperties("AWS::Lambda::Function", { ReservedConcurrentExecutions: Match.absent() });
  });

  it("subscribes the ingest function to each log group with the jails' filter pattern", () => {
    template.resourceCountIs("AWS::Logs::SubscriptionFilter", 2);
    template.hasResourceProperties("AWS::Logs::SubscriptionFilter", {
      LogGroupName: "/ec2/auth.log",
      FilterPattern: "sshd",
    });
    template.hasResourceProperties("AWS::Logs::SubscriptionFilter", {
      LogGroupName: "/ec2/nginx/error.log",
      FilterPattern: '"user"',
    });
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Principal: "logs.amazonaws.com",
      Action: "lambda:InvokeFunction",
    });
  });

  it("creates IPv4 and IPv6 IP sets, a blocking rule group and the optional WebACL association", () => {
    template.hasResourceProperties("AWS::WAFv2::IPSet", { IPAddressVersion: "IPV4", Scope: "REGIONAL", Addresses: [] });
    template.hasResourceProperties("AWS::WAFv2::IPSet", { IPAddressVersion: "IPV6", Scope: "REGIONAL", Addresses: [] });
    template.hasResourceProperties("AWS::WAFv2::RuleGroup", {
      Capacity: 2,
      Rules: [
        Match.objectLike({ Action: { Block: {} }, Statement: { IPSetReferenceStatement: { Arn: Match.anyValue() } } }),
        Match.objectLike({ Action: { Block: {} } }),
      ],
    });
    template.resourceCountIs("AWS::WAFv2::WebACLAssociation", 1);
  });

  it("scopes IAM to the named resources", () => {
    const policies = template.findResources("AWS::IAM::Policy");
    const statements = Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const waf = statements.filter((s) => JSON.stringify(s.Action).includes("wafv2"));
    expect(waf).toHaveLength(3);
    for (const statement of waf) {
      expect(statement.Action).toEqual(["wafv2:GetIPSet", "wafv2:UpdateIPSet"]);
      expect(statement.Resource).toEqual([
        { "Fn::GetAtt": [expect.stringMatching(/BannedIpv4/), "Arn"] },
        { "Fn::GetAtt": [expect.stringMatching(/BannedIpv6/), "Arn"] },
      ]);
    }
    const aclWrites = statements.filter((s) => JSON.stringify(s.Action).includes("CreateNetworkAclEntry"));
    expect(aclWrites).toHaveLength(3);
    expect(JSON.stringify(aclWrites[0].Resource)).toContain(`:network-acl/${ACL}`);
    // backfill: the ingest function alone reads the jails' log groups, named one by one
    const history = statements.filter((s) => JSON.stringify(s.Action).includes("logs:FilterLogEvents"));
    expect(history).toHaveLength(1);
    expect(history[0].Action).toEqual(["logs:FilterLogEvents", "logs:DescribeSubscriptionFilters"]);
    const groups = JSON.stringify(history[0].Resource);
    expect(groups).toContain(":log-group:/ec2/auth.log:*");
    expect(groups).toContain(":log-group:/ec2/nginx/error.log:*");
    expect(history[0].Resource).toHaveLength(2);
    const wildcard = statements.filter((s) => s.Resource === "*");
    expect(wildcard.every((s) => s.Action === "ec2:DescribeNetworkAcls")).toBe(true);
    expect(statements.some((s) => JSON.stringify(s.Action).includes("*"))).toBe(false);
    template.resourceCountIs("AWS::IAM::ManagedPolicy", 0);
    for (const role of Object.values(template.findResources("AWS::IAM::Role"))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it("reconciles on a one-minute schedule", () => {
    template.hasResourceProperties("AWS::Events::Rule", { ScheduleExpression: "rate(1 minute)", State: "ENABLED" });
  });

  it("alerts by encrypted SNS email, with a dashboard and alarms", () => {
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "ops@example.com" });
    template.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
    // IngestErrors, ReconcileErrors, EnforcementFailures, TargetOverflow, MalformedEvents, ForeignNaclRules (a network
    // ACL is configured here), FailedDeliveries, LostDeliveries
    template.resourceCountIs("AWS::CloudWatch::Alarm", 8);
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmActions: [{ Ref: Match.stringLikeRegexp("Alerts") }],
    });
  });

  it("outputs the admin and ingest function names for `cloudjail cloud`", () => {
    template.hasOutput("CloudjailAdminFunctionName", { Value: { Ref: Match.stringLikeRegexp("Admin") } });
    template.hasOutput("CloudjailIngestFunctionName", { Value: { Ref: Match.stringLikeRegexp("Ingest") } });
  });

  it("is environment-agnostic", () => {
    expect(JSON.stringify(template.toJSON())).not.toMatch(/\b\d{12}\b(?!:loadbalancer)/);
  });
});

describe("cdk-nag AwsSolutions", () => {
  // cdk-nag's synth takes a while on a loaded machine: these tests get more time than the default.
  it("has no unacknowledged finding with every target and alerts", { timeout: 180_000 }, () => {
    expect(() => synth({ networkAclIds: [ACL], alertEmails: ["ops@example.com"] }, true).app.synth()).not.toThrow();
  });

  it("has no unacknowledged finding with WAF only", { timeout: 180_000 }, () => {
    expect(() => synth({}, true).app.synth()).not.toThrow();
  });
});

describe("bad configurations fail at synth", () => {
  it("refuses a security group, saying why and what to use", () => {
    expect(() => synth({ networkAclIds: ["sg-0123456789abcdef0"] })).toThrow(SecurityGroupTargetError);
    expect(() => synth({ networkAclIds: ["sg-0123456789abcdef0"] })).toThrow(/security groups cannot deny.*acl-/);
  });

  it.each([
    [{ networkAclIds: [ACL], networkAclRuleRange: { first: 0, last: 10 } }, /rule range 0-10/],
    [{ networkAclIds: [ACL], networkAclRuleLimit: 50 }, /from 2 to 40/],
    [{ wafScope: "CLOUDFRONT" as const, env: { region: "eu-west-1" } }, /CLOUDFRONT needs the stack in us-east-1/],
    [{ alertEmails: ["not-an-email"] }, /not an email address/],
    [{ deployment: { version: 1 as const, jails: [] } }, /no jails/],
  ])("%j", (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe("combinedFilterPattern", () => {
  it.each([
    [["sshd"], "sshd"],
    [["sshd", "sshd"], "sshd"],
    [["sshd", '"Invalid user"'], '?sshd ?"Invalid user"'],
    [["sshd", ""], ""],
    [["[ip, user]", "sshd"], ""],
  ])("%j -> %j", (patterns, expected) => {
    expect(combinedFilterPattern(patterns)).toBe(expected);
  });
});

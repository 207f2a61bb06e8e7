// The template as it must be for a real AWS account: alarms that can reach the topic, failed deliveries kept and
// alarmed, a stack that deploys on a small account, roles holding exactly what the code calls, cdk-nag
// acknowledgements that excuse one statement each, IP sets that a stack update never empties.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App, Tags, Validations } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { CloudjailStack, type CloudjailStackProps } from "../../cdk/cloudjail-stack.js";
import { FUNCTION_PERMISSIONS } from "../../cdk/function-permissions.js";
import { RECONCILE_SETTINGS } from "../../cdk/function-settings.js";
import { loadCloudJails } from "../../cloud/deployment/cloud-jail-file.js";
import type { DeploymentConfig } from "../../cloud/deployment/deployment-config.js";
import { RECONCILE_LEASE_SECONDS } from "../../cloud/reconcile/reconcile-lease.js";

const deployment: DeploymentConfig = loadCloudJails({
  jailFile: fileURLToPath(new URL("../../cdk/example/jail.local", import.meta.url)),
  filterConfigDir: fileURLToPath(new URL("../../config/", import.meta.url)),
});
const ACL = "acl-0123456789abcdef0";

function synth(props: Partial<CloudjailStackProps> = {}, prepare: (app: App) => void = () => {}) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  prepare(app);
  const stack = new CloudjailStack(app, "Test", { deployment, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

/** `entry` and the files it imports statically, directly or not (relative paths of an ESM bundle folder). */
function staticImportClosure(dir: string, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(dir, file), "utf8");
    // minified esbuild output: `import{a as b}from"./chunks/x.mjs"` or `import"./chunks/x.mjs"`, never `import(`
    for (const match of code.matchAll(/import(?:\{[^}]*\}from|\*as [\w$]+ from|\s*)"\.\/([^"]+)"/g)) {
      visit(join(file, "..", match[1]!).replace(/^\.\//, ""));
    }
  };
  visit(entry);
  return [...seen];
}

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is untyped JSON
type Resources = Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: string[] }>;

/** Logical id of the one resource of `type` whose id contains `part`. */
function logicalId(template: Template, type: string, part: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.includes(part));
  expect(ids, `${type} ${part}`).toHaveLength(1);
  return ids[0]!;
}

/** A resource reference as a readable name: `Table`, `Table/index/active-bans`, `acl/acl-...`, `*`. */
function resourceName(resource: unknown): string {
  if (resource === "*") return "*";
  const json = JSON.stringify(resource);
  const ref = /"(?:Ref|Fn::GetAtt)":\s*\[?"Cloudjail([A-Za-z0-9]+?)[0-9A-F]{8}"/.exec(json)?.[1] ?? "?";
  if (json.includes("/index/")) return `${ref}/index/${/\/index\/([\w-]+)/.exec(json)![1]}`;
  if (json.includes(":network-acl/")) return `network-acl/${/network-acl\/(acl-[0-9a-f]+)/.exec(json)![1]}`;
  if (json.includes(":log-group:")) return `log-group:${/log-group:([^"]+)/.exec(json)![1]}`;
  return ref;
}

/** Every `action on resource` a role holds, across all the policies attached to it. */
function grantsOf(template: Template, rolePart: string): string[] {
  const role = logicalId(template, "AWS::IAM::Role", rolePart);
  const policies = Object.values(template.findResources("AWS::IAM::Policy") as Resources).filter((policy) =>
    JSON.stringify(policy.Properties.Roles).includes(`"${role}"`),
  );
  const grants = new Set<string>();
  for (const policy of policies) {
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      expect(statement.Effect).toBe("Allow");
      expect(statement.Condition).toBeUndefined();
      for (const action of [statement.Action].flat()) {
        for (const resource of [statement.Resource].flat()) grants.add(`${action} on ${resourceName(resource)}`);
      }
    }
  }
  return [...grants].sort();
}

const logs = (fn: string) => [`logs:CreateLogStream on ${fn}Logs`, `logs:PutLogEvents on ${fn}Logs`];
// ingest adds its own decisions and never plans from the active-bans index; DeleteItem drops a NACL rule claim
const ingestStore = [
  "dynamodb:DeleteItem on Table",
  "dynamodb:GetItem on Table",
  "dynamodb:PutItem on Table",
  "dynamodb:Query on Table",
];
const store = [...ingestStore, "dynamodb:Query on Table/index/active-bans"];
const targets = [
  "ec2:CreateNetworkAclEntry on network-acl/acl-0123456789abcdef0",
  "ec2:DeleteNetworkAclEntry on network-acl/acl-0123456789abcdef0",
  "ec2:DescribeNetworkAcls on *",
  "wafv2:GetIPSet on BannedIpv4",
  "wafv2:GetIPSet on BannedIpv6",
  "wafv2:UpdateIPSet on BannedIpv4",
  "wafv2:UpdateIPSet on BannedIpv6",
];
const publish = ["kms:Decrypt on AlertsKey", "kms:GenerateDataKey on AlertsKey", "sns:Publish on Alerts"];

describe("least privilege, role by role", () => {
  let template: Template;
  beforeAll(() => {
    template = synth({ networkAclIds: [ACL], alertEmails: ["ops@example.com"] }).template;
  });

  it.each([
    [
      "Ingest",
      [
        ...logs("Ingest"),
        ...ingestStore,
        "dynamodb:BatchWriteItem on AlertOutbox",
        "dynamodb:PutItem on AlertOutbox",
        ...publish,
        ...targets,
        "logs:DescribeSubscriptionFilters on log-group:/ec2/auth.log:*",
        "logs:DescribeSubscriptionFilters on log-group:/ec2/nginx/error.log:*",
        "logs:FilterLogEvents on log-group:/ec2/auth.log:*",
        "logs:FilterLogEvents on log-group:/ec2/nginx/error.log:*",
        "sqs:SendMessage on FailedDeliveriesQueue",
      ],
    ],
    [
      "Reconcile",
      [
        ...logs("Reconcile"),
        ...store,
        "dynamodb:BatchWriteItem on AlertOutbox",
        "dynamodb:Query on AlertOutbox",
        ...publish,
        ...targets,
      ],
    ],
    ["Admin", [...logs("Admin"), ...store, "dynamodb:UpdateItem on Table", ...targets]],
  ])("the %s role holds exactly the actions its code calls, on named resources", (role, expected) => {
    expect(grantsOf(template, `${role}Role`)).toEqual([...expected].sort());
  });

  it("never grants what no function calls (Scan, BatchGetItem, PartiQL, ReplaceNetworkAclEntry, wildcards)", () => {
    const all = JSON.stringify(template.findResources("AWS::IAM::Policy"));
    for (const action of ["Scan", "BatchGetItem", "PartiQL", "ReplaceNetworkAclEntry", "dynamodb:*", "/index/*"]) {
      expect(all).not.toContain(action);
    }
  });

  it("gives the admin function neither the topic nor the outbox, in its role or its environment", () => {
    expect(FUNCTION_PERMISSIONS.admin).toMatchObject({ alertOutbox: [], publishAlerts: false });
    const admin = template.findResources("AWS::Lambda::Function", {
      Properties: { Description: Match.stringLikeRegexp("status, ban") },
    });
    const variables = Object.values(admin as Resources)[0]!.Properties.Environment.Variables;
    expect(variables.CLOUDJAIL_TOPIC_ARN).toBeUndefined();
    expect(variables.CLOUDJAIL_ALERT_TABLE).toBeUndefined();
    expect(variables.CLOUDJAIL_TABLE).toBeDefined();
  });

  it("starts each function only after all its policies exist", () => {
    const functions = template.findResources("AWS::Lambda::Function") as Resources;
    for (const [id, fn] of Object.entries(functions)) {
      const name = /^Cloudjail(Ingest|Reconcile|Admin)/.exec(id)![1]!;
      const policies = Object.entries(template.findResources("AWS::IAM::Policy") as Resources)
        .filter(([, policy]) => JSON.stringify(policy.Properties.Roles).includes(`Cloudjail${name}Role`))
        .map(([policyId]) => policyId);
      expect(policies.length).toBeGreaterThan(1);
      for (const policy of policies) expect(fn.DependsOn, `${id} after ${policy}`).toContain(policy);
    }
  });
});

describe("cdk-nag acknowledgements excuse one statement each", () => {
  // No Template here: Template.fromStack synthesizes the app, and a second app.synth() would return that first
  // assembly without running the checks again.
  const nagSynth = (change: (stack: CloudjailStack) => void) => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new CloudjailStack(app, "Test", {
      deployment,
      networkAclIds: [ACL],
      alertEmails: ["ops@example.com"],
    });
    change(stack);
    return () => app.synth();
  };

  it("passes as built", { timeout: 180_000 }, () => {
    expect(nagSynth(() => {})).not.toThrow();
  });

  it("fails when a future statement on `*` joins a function's policy", { timeout: 180_000 }, () => {
    expect(
      nagSynth((stack) =>
        stack.cloudjail.reconcileFunction.addToRolePolicy(
          new iam.PolicyStatement({ actions: ["ec2:DescribeSecurityGroups"], resources: ["*"] }),
        ),
      ),
    ).toThrow(/AwsSolutions-IAM5/);
  });

  it("fails when a future index wildcard joins a function's policy", { timeout: 180_000 }, () => {
    expect(nagSynth((stack) => stack.cloudjail.table.grantReadData(stack.cloudjail.adminFunction))).toThrow(
      /AwsSolutions-IAM5/,
    );
  });
});

describe("alarms that arrive", () => {
  let template: Template;
  beforeAll(() => {
    template = synth({ alertEmails: ["ops@example.com"] }).template;
  });

  it("encrypts the topic with a rotated customer managed key, not alias/aws/sns", () => {
    const key = logicalId(template, "AWS::KMS::Key", "AlertsKey");
    template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: { "Fn::GetAtt": [key, "Arn"] } });
    expect(JSON.stringify(template.toJSON())).not.toContain("alias/aws/sns");
  });

  // CloudWatch acts for alarms of any account: each grant to it names this account and this account's alarms.
  const alarmsOfThisAccount = {
    StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
    ArnLike: {
      "aws:SourceArn": {
        "Fn::Join": [
          "",
          [
            "arn:",
            { Ref: "AWS::Partition" },
            ":cloudwatch:",
            { Ref: "AWS::Region" },
            ":",
            { Ref: "AWS::AccountId" },
            ":alarm:*",
          ],
        ],
      },
    },
  };

  it("lets CloudWatch use the key and publish to the topic (alarms of this account)", () => {
    const key = Object.values(template.findResources("AWS::KMS::Key") as Resources)[0]!;
    const cloudwatchGrants = key.Properties.KeyPolicy.Statement.filter(
      // biome-ignore lint/suspicious/noExplicitAny: a key policy statement is untyped JSON
      (statement: any) => statement.Principal?.Service === "cloudwatch.amazonaws.com",
    );
    expect(cloudwatchGrants).toEqual([
      {
        Sid: "CloudWatchAlarmsPublishEncrypted",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: alarmsOfThisAccount,
      },
    ]);
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          Match.objectLike({
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Condition: alarmsOfThisAccount,
          }),
        ]),
      },
    });
  });

  it("sends every alarm to the topic", () => {
    const topic = logicalId(template, "AWS::SNS::Topic", "Alerts");
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm") as Resources);
    expect(alarms).toHaveLength(7);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
  });

  it("alarms on any event not counted (malformed, refused, no address) within 5 minutes, held for 15", () => {
    const topic = logicalId(template, "AWS::SNS::Topic", "Alerts");
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "Cloudjail",
      MetricName: "MalformedEvents",
      Dimensions: Match.arrayWith([{ Name: "Stack", Value: "Test" }]),
      Statistic: "Sum",
      Period: 300,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      EvaluationPeriods: 3,
      DatapointsToAlarm: 1,
      TreatMissingData: "notBreaching",
      AlarmActions: [{ Ref: topic }],
    });
  });

  it("alarms on foreign rules in the network ACL range only when bans go to network ACLs", () => {
    const foreign = (t: Template) =>
      Object.values(t.findResources("AWS::CloudWatch::Alarm") as Resources).filter(
        (alarm) => alarm.Properties.MetricName === "ForeignNaclRules",
      );
    expect(foreign(template)).toEqual([]);
    const withAcl = synth({ networkAclIds: [ACL] }).template;
    const topic = logicalId(withAcl, "AWS::SNS::Topic", "Alerts");
    expect(foreign(withAcl)).toHaveLength(1);
    withAcl.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "Cloudjail",
      MetricName: "ForeignNaclRules",
      Statistic: "Maximum",
      Period: 300,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      EvaluationPeriods: 1,
      AlarmDescription: Match.stringLikeRegexp("networkAclRuleRange"),
      AlarmActions: [{ Ref: topic }],
    });
  });
});

describe("no lost delivery", () => {
  let template: Template;
  beforeAll(() => {
    template = synth().template;
  });

  it("keeps failed ingest deliveries in an encrypted, TLS-only queue for 14 days", () => {
    const queue = logicalId(template, "AWS::SQS::Queue", "FailedDeliveries");
    template.hasResourceProperties("AWS::SQS::Queue", {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86400,
    });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: logicalId(template, "AWS::Lambda::Function", "Ingest") },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [queue, "Arn"] } } },
    });
    template.hasOutput("CloudjailFailedDeliveriesQueueUrl", { Value: { Ref: queue } });
  });

  it("alarms on a record in the queue and on a record Lambda could not write", () => {
    const queue = logicalId(template, "AWS::SQS::Queue", "FailedDeliveries");
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [queue, "QueueName"] } }],
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      AlarmDescription: Match.stringLikeRegexp("cloudjail cloud replay-failed"),
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "DestinationDeliveryFailures",
      Dimensions: [{ Name: "FunctionName", Value: { Ref: logicalId(template, "AWS::Lambda::Function", "Ingest") } }],
      Threshold: 1,
    });
  });
});

describe("deployable on a small account", () => {
  it("reserves no concurrency by default", () => {
    synth().template.allResourcesProperties("AWS::Lambda::Function", { ReservedConcurrentExecutions: Match.absent() });
  });

  it("reserves what the options ask, and warns of the quota it needs", () => {
    const { stack, template } = synth({ ingestReservedConcurrency: 5, reconcileReservedConcurrency: 1 });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("subscription deliveries"),
      ReservedConcurrentExecutions: 5,
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("every minute"),
      ReservedConcurrentExecutions: 1,
    });
    Annotations.fromStack(stack).hasWarning("*", Match.stringLikeRegexp("quota of at least 16"));
  });

  it("serializes reconcile runs by a lease that outlasts the function's timeout", () => {
    expect(RECONCILE_SETTINGS.reservedConcurrency).toBeUndefined();
    expect(RECONCILE_SETTINGS.timeout.toSeconds()).toBeLessThan(RECONCILE_LEASE_SECONDS);
  });

  it("keeps the functions' logs as long as logRetention says, and names alerts with the label", () => {
    const { template } = synth({ logRetention: 7, label: "prod-web" });
    const groups = Object.values(template.findResources("AWS::Logs::LogGroup") as Resources);
    expect(groups.map((group) => group.Properties.RetentionInDays)).toEqual([7, 7, 7]);
    template.allResourcesProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ CLOUDJAIL_LABEL: "prod-web" }) },
    });
    template.hasResourceProperties("AWS::SNS::Topic", { DisplayName: "cloudjail prod-web" });
  });
});

describe("a stack update never empties an IP set", () => {
  const ipSets = (template: Template) =>
    Object.values(template.findResources("AWS::WAFv2::IPSet") as Resources).map((set) => set.Properties);

  it("gives the IP sets the same properties whatever the options, so that CloudFormation never updates them", () => {
    const base = ipSets(synth().template);
    const changed = ipSets(
      synth(
        {
          label: "other",
          logRetention: 90,
          networkAclIds: [ACL],
          alertEmails: ["a@example.com"],
          announceUnbans: true,
        },
        (app) => Tags.of(app).add("team", "security"),
      ).template,
    );
    expect(changed).toEqual(base);
    expect(base.map((set) => Object.keys(set).sort())).toEqual([
      ["Addresses", "Description", "IPAddressVersion", "Scope"],
      ["Addresses", "Description", "IPAddressVersion", "Scope"],
    ]);
  });

  it("leaves tags given to the whole app off the IP sets, and on the other resources", () => {
    const { template } = synth({}, (app) => Tags.of(app).add("team", "security"));
    for (const set of ipSets(template)) expect(set.Tags).toBeUndefined();
    template.hasResourceProperties("AWS::SQS::Queue", { Tags: [{ Key: "team", Value: "security" }] });
  });
});

describe("functions ship without source maps", () => {
  // The real bundling (local esbuild), once: what goes into each function's asset folder.
  it("bundles each function without a .map file and sets no --enable-source-maps", { timeout: 300_000 }, () => {
    const outdir = mkdtempSync(join(tmpdir(), "cloudjail-cdk-out-"));
    const app = new App({ outdir });
    const stack = new CloudjailStack(app, "Bundled", { deployment });
    const assembly = app.synth();
    const template = Template.fromStack(stack);
    const functions = Object.values(template.findResources("AWS::Lambda::Function") as Resources);
    expect(functions).toHaveLength(3);
    for (const fn of functions) expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
    const assetDirs = readdirSync(assembly.directory).filter((name) => name.startsWith("asset."));
    const bundles = assetDirs.filter((dir) => readdirSync(join(assembly.directory, dir)).includes("index.mjs"));
    expect(bundles).toHaveLength(3);
    for (const dir of bundles) {
      const files = readdirSync(join(assembly.directory, dir));
      expect(
        files.filter((file) => file.endsWith(".map")),
        dir,
      ).toEqual([]);
      expect(files).toContain("deployment.json");
    }
    // Code splitting: the ingest handler's index.mjs and what it imports statically hold none of the EC2, WAF, SNS
    // or CloudWatch Logs clients (loaded at their first call), and the split handler still loads.
    const ingest = bundles.find((dir) => readdirSync(join(assembly.directory, dir)).includes("filter-worker.mjs"));
    expect(ingest).toBeDefined();
    const ingestDir = join(assembly.directory, ingest!);
    const chunks = readdirSync(join(ingestDir, "chunks"));
    expect(chunks.length).toBeGreaterThan(1);
    const loadedAtStart = staticImportClosure(ingestDir, "index.mjs");
    const startCode = loadedAtStart.map((file) => readFileSync(join(ingestDir, file), "utf8")).join("\n");
    // the SDK clients' schemas, by a shape name of each (our own code names commands, never these shapes)
    const shapes = ["DescribeNetworkAclsRequest", "GetIPSetRequest", "PublishInput", "FilterLogEventsRequest"];
    for (const shape of shapes) expect(startCode.includes(shape), `${shape} loaded at start`).toBe(false);
    const everything = ["index.mjs", ...chunks.map((chunk) => `chunks/${chunk}`)]
      .map((file) => readFileSync(join(ingestDir, file), "utf8"))
      .join("\n");
    for (const shape of shapes) expect(everything.includes(shape), `${shape} bundled`).toBe(true);
    expect(startCode.length).toBeLessThan(everything.length / 3);
    const loaded = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const m = await import("./index.mjs"); process.exit(typeof m.handler === "function" ? 0 : 3);`,
      ],
      {
        cwd: ingestDir,
        encoding: "utf8",
        env: { ...process.env, AWS_REGION: "us-east-1", CLOUDJAIL_TABLE: "t", CLOUDJAIL_LABEL: "test" },
      },
    );
    expect(loaded.stderr).toBe("");
    expect(loaded.status).toBe(0);
    rmSync(outdir, { recursive: true, force: true });
  });
});

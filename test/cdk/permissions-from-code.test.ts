// The roles against the code: every AWS SDK command a function's bundle can send is mapped to its IAM action, and the
// function's role must hold exactly those actions (plus what Lambda itself does with the role). A new call in the
// code (say an UpdateCommand in the store) fails here until function-permissions.ts grants it; a grant no code uses
// fails here too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { CloudjailStack } from "../../cdk/cloudjail-stack.js";
import { LAMBDA_ENTRIES } from "../../cdk/lambda-bundling.js";
import { loadCloudJails } from "../../cloud/deployment/cloud-jail-file.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Each SDK command the code may send, and the IAM action it needs. */
const COMMAND_ACTIONS: Record<string, string> = {
  GetCommand: "dynamodb:GetItem",
  PutCommand: "dynamodb:PutItem",
  PutItemCommand: "dynamodb:PutItem",
  QueryCommand: "dynamodb:Query",
  UpdateCommand: "dynamodb:UpdateItem",
  DeleteCommand: "dynamodb:DeleteItem",
  BatchWriteCommand: "dynamodb:BatchWriteItem",
  GetIPSetCommand: "wafv2:GetIPSet",
  UpdateIPSetCommand: "wafv2:UpdateIPSet",
  DescribeNetworkAclsCommand: "ec2:DescribeNetworkAcls",
  CreateNetworkAclEntryCommand: "ec2:CreateNetworkAclEntry",
  ReplaceNetworkAclEntryCommand: "ec2:ReplaceNetworkAclEntry",
  DeleteNetworkAclEntryCommand: "ec2:DeleteNetworkAclEntry",
  PublishCommand: "sns:Publish",
  FilterLogEventsCommand: "logs:FilterLogEvents",
  DescribeSubscriptionFiltersCommand: "logs:DescribeSubscriptionFilters",
};

/** What Lambda does with the role itself: write the function's logs, the on-failure record, and encrypt alerts. */
const SERVICE_ACTIONS: Record<keyof typeof LAMBDA_ENTRIES, string[]> = {
  ingest: ["logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt"],
  reconcile: ["logs:CreateLogStream", "logs:PutLogEvents", "kms:GenerateDataKey", "kms:Decrypt"],
  admin: ["logs:CreateLogStream", "logs:PutLogEvents"],
};

/**
 * Code a bundle holds but the function never runs, by design: the admin function is given neither the alert topic
 * nor the outbox (its environment names neither), so the shared runtime's notifier and outbox stay unbuilt; only the
 * admin unban bumps the unban epoch (UpdateItem), which the shared runtime bundles into every function.
 */
const UNUSED_BY_DESIGN: Record<keyof typeof LAMBDA_ENTRIES, string[]> = {
  ingest: ["dynamodb:UpdateItem"],
  reconcile: ["dynamodb:UpdateItem"],
  admin: ["sns:Publish", "dynamodb:BatchWriteItem"],
};

/** The SDK commands sent by the project's own files that `entry` bundles (dynamic imports included). */
async function commandsOf(entry: string): Promise<Set<string>> {
  const result = await build({
    entryPoints: [join(root, "lambdas", entry)],
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "silent",
  });
  const commands = new Set<string>();
  for (const input of Object.keys(result.metafile!.inputs)) {
    const source = readFileSync(join(root, input), "utf8");
    for (const match of source.matchAll(/new (\w+Command)\(/g)) commands.add(match[1]!);
  }
  return commands;
}

describe("each role holds the actions its function's code sends, no more", () => {
  let template: Template;
  beforeAll(() => {
    const deployment = loadCloudJails({
      jailFile: join(root, "cdk", "example", "jail.local"),
      filterConfigDir: join(root, "config"),
    });
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new CloudjailStack(app, "Test", {
      deployment,
      networkAclIds: ["acl-0123456789abcdef0"],
      alertEmails: ["ops@example.com"],
    });
    template = Template.fromStack(stack);
  });

  const roleActions = (name: string): string[] => {
    const role = Object.keys(template.findResources("AWS::IAM::Role")).find((id) =>
      id.startsWith(`Cloudjail${name}Role`),
    )!;
    const actions = new Set<string>();
    for (const policy of Object.values(template.findResources("AWS::IAM::Policy"))) {
      if (!JSON.stringify(policy.Properties.Roles).includes(`"${role}"`)) continue;
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        for (const action of [statement.Action].flat()) actions.add(action);
      }
    }
    return [...actions].sort();
  };

  it.each(Object.entries(LAMBDA_ENTRIES))("%s", { timeout: 60_000 }, async (name, { entry }) => {
    const commands = await commandsOf(entry);
    const unmapped = [...commands].filter((command) => !(command in COMMAND_ACTIONS));
    expect(unmapped, "commands to map to their IAM action in COMMAND_ACTIONS").toEqual([]);
    const key = name as keyof typeof LAMBDA_ENTRIES;
    const fromCode = [...commands]
      .map((command) => COMMAND_ACTIONS[command]!)
      .filter((action) => !UNUSED_BY_DESIGN[key].includes(action));
    const expected = [...new Set([...fromCode, ...SERVICE_ACTIONS[key]])].sort();
    const role = roleActions(`${name[0]!.toUpperCase()}${name.slice(1)}`);
    expect(role).toEqual(expected);
  });
});

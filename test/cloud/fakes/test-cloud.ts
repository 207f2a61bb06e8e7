// A cloud runtime for tests: the real store on DynamoDB Local, the real targets on fake WAF and EC2 APIs that keep
// AWS's rules, a fake SNS topic, a settable clock, and logs/metrics captured instead of printed.
import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { alertOutboxTableDefinition } from "../../../cloud/alerts/alert-outbox.js";
import type { DeployedJail, DeploymentConfig } from "../../../cloud/deployment/deployment-config.js";
import type { LineMatcher } from "../../../cloud/ingest/line-matcher.js";
import { type CloudRuntime, createCloudRuntime } from "../../../cloud/runtime/cloud-runtime.js";
import type { RuntimeSettings } from "../../../cloud/runtime/runtime-settings.js";
import { dynamoDbTableDefinition, dynamoDbTimeToLive } from "../../../cloud/store/dynamodb-table.js";
import { sdkDocumentTable } from "../../../cloud/store/sdk-document-table.js";
import type { Store } from "../../../shared/store/store.js";
import type { DynamoDbLocal } from "../../support/dynamodb-local.js";
import { FakeEc2 } from "./ec2-fake.js";
import { type LaggingIndexTable, laggingStore } from "./lagging-index.js";
import { FakeSns } from "./sns-fake.js";
import { type FakeIpSet, FakeWaf } from "./waf-fake.js";

/** The network ACL every test cloud protects. */
export const TEST_ACL = "acl-0a1b2c3d4e5f60718";

/** A runtime and the fakes behind it. */
export interface TestCloud {
  readonly runtime: CloudRuntime;
  readonly waf: FakeWaf;
  readonly ipv4: FakeIpSet;
  readonly ipv6: FakeIpSet;
  readonly ec2: FakeEc2;
  readonly sns: FakeSns;
  /** Log and metric lines, parsed. */
  readonly lines: Record<string, unknown>[];
  /** The clock, epoch seconds: set `clock.now` to move time. */
  readonly clock: { now: number };
  /**
   * Another Lambda container on the same table and the same AWS APIs (its own store client and caches); with
   * `laggingIndex`, its store's active-bans index can be frozen in a past state, as DynamoDB's may lag.
   */
  container(options?: { laggingIndex?: boolean }): Promise<{ runtime: CloudRuntime; index?: LaggingIndexTable }>;
  /** Addresses in the WAF sets and the ACL's ban range, sorted, for assertions. */
  enforced(): { ipv4: string[]; ipv6: string[]; nacl: string[] };
  destroy(): void;
}

let tables = 0;

/** Options of {@link createTestCloud}. */
export interface TestCloudOptions {
  readonly matcherFactory?: (jail: DeployedJail) => LineMatcher;
  readonly now?: number;
  readonly naclRuleLimit?: number;
  readonly announceUnbans?: boolean;
  /**
   * Enable TTL on the table (as deployed). Tests that replay dated fixtures turn it off: DynamoDB Local really deletes
   * items whose TTL lies in the real past.
   * @default true
   */
  readonly ttl?: boolean;
}

/** Creates a fresh table and fakes, and a runtime over them. */
export async function createTestCloud(
  local: DynamoDbLocal,
  deployment: DeploymentConfig,
  options: TestCloudOptions = {},
): Promise<TestCloud> {
  const tableName = `cloud-${process.pid}-${++tables}`;
  const admin = local.client();
  await admin.send(new CreateTableCommand(dynamoDbTableDefinition(tableName)));
  if (options.ttl ?? true) await admin.send(new UpdateTimeToLiveCommand(dynamoDbTimeToLive(tableName)));
  await admin.send(new CreateTableCommand(alertOutboxTableDefinition(`${tableName}-alerts`)));
  admin.destroy();
  const waf = new FakeWaf();
  const ipv4 = waf.createIpSet("cloudjail-v4", "REGIONAL", "IPV4");
  const ipv6 = waf.createIpSet("cloudjail-v6", "REGIONAL", "IPV6");
  const ec2 = new FakeEc2(options.naclRuleLimit ?? 20);
  ec2.createAcl(TEST_ACL);
  const sns = new FakeSns();
  const settings: RuntimeSettings = {
    tableName,
    waf: { scope: "REGIONAL", ipv4: { name: ipv4.name, id: ipv4.id }, ipv6: { name: ipv6.name, id: ipv6.id } },
    nacl: { ids: [TEST_ACL], range: { first: 1, last: 90 }, limit: options.naclRuleLimit ?? 20 },
    topicArn: sns.topicArn,
    alertTable: `${tableName}-alerts`,
    label: "test",
    announceUnbans: options.announceUnbans ?? false,
  };
  // Near the real time: DynamoDB Local really deletes items whose TTL attribute lies in the (real) past.
  const clock = { now: options.now ?? Math.floor(Date.now() / 1000) };
  const lines: Record<string, unknown>[] = [];
  const clients: DynamoDBClient[] = [];
  const build = (store?: Store) => {
    const dynamodb = local.client();
    clients.push(dynamodb);
    return createCloudRuntime(
      deployment,
      settings,
      { dynamodb, wafv2: waf.client, ec2: ec2.client, sns: sns.client },
      {
        ...(store ? { store } : {}),
        matcherFactory:
          options.matcherFactory ??
          (() => ({
            match: async () => {
              throw new Error("this test runs no filter");
            },
          })),
        retry: { sleep: async () => {}, random: () => 0.5 },
        sink: (line) => lines.push(JSON.parse(line)),
        clock: () => clock.now,
        random: () => 0,
        resolveName: async () => [],
      },
    );
  };
  const runtime = await build();
  return {
    runtime,
    waf,
    ipv4,
    ipv6,
    ec2,
    sns,
    lines,
    clock,
    enforced: () => ({
      ipv4: [...ipv4.addresses].sort(),
      ipv6: [...ipv6.addresses].sort(),
      nacl: ec2
        .denyEntries(TEST_ACL, 1, 90)
        .map((entry) => entry.split(" ")[1]!)
        .sort(),
    }),
    container: async (options = {}) => {
      if (!options.laggingIndex) return { runtime: await build() };
      const client = local.client();
      clients.push(client);
      const lagging = laggingStore(sdkDocumentTable(client, tableName));
      return { runtime: await build(lagging.store), index: lagging.index };
    },
    destroy: () => {
      for (const client of clients) client.destroy();
    },
  };
}

/** A deployed jail with fail2ban's defaults, for tests that do not read a jail.local. */
export function testJail(name: string, logGroups: string[], overrides: Partial<DeployedJail> = {}): DeployedJail {
  return {
    name,
    logGroups,
    filter: { source: name, failregex: ["^x from <HOST>$"], ignoreregex: [] },
    maxRetry: 3,
    findTime: 600,
    banTime: 600,
    maxMatches: 3,
    increment: {},
    ignoreIp: "",
    filterPattern: "",
    ...overrides,
  };
}

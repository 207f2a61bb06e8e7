// End to end, as deployed: the three functions are bundled as the CDK app bundles them (deployment.json and the
// filter worker beside each handler; only the AWS SDK is left external, see below), imported, and driven with
// CloudWatch Logs deliveries built at test time.
// DynamoDB is DynamoDB Local; WAF, EC2, SNS and Lambda are fakes that keep the AWS rules, installed on the SDK client
// classes so that the functions' own module-scope clients reach them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { CreateTableCommand, ScanCommand, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import { WAFV2Client } from "@aws-sdk/client-wafv2";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bundleLambdasLocally } from "../../cdk/lambda-bundling.js";
import { runCloud } from "../../cli/commands/cloud.js";
import { alertOutboxTableDefinition } from "../../cloud/alerts/alert-outbox.js";
import { loadCloudJails } from "../../cloud/deployment/cloud-jail-file.js";
import { compileDeployedFilter } from "../../cloud/deployment/filter-check.js";
import type { BackfillReport } from "../../cloud/ingest/backfill.js";
import { encodeDelivery, type SubscriptionEvent } from "../../cloud/logs/subscription-encoding.js";
import type { LogEvent } from "../../cloud/logs/subscription-payload.js";
import { ENV } from "../../cloud/runtime/runtime-settings.js";
import { dynamoDbTableDefinition, dynamoDbTimeToLive } from "../../cloud/store/dynamodb-table.js";
import { dynamoDbStore } from "../../cloud/store/sdk-document-table.js";
import { FakeEc2 } from "../cloud/fakes/ec2-fake.js";
import { FakeCloudWatchLogs } from "../cloud/fakes/logs-fake.js";
import { FakeSns } from "../cloud/fakes/sns-fake.js";
import { type FakeIpSet, FakeWaf } from "../cloud/fakes/waf-fake.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../support/dynamodb-local.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const ACL = "acl-0e2e0e2e0e2e0e2e0";
const AUTH = "/ec2/auth.log";
const NGINX = "/ec2/nginx/error.log";
const JAILS = `
[DEFAULT]
maxretry = 3
findtime = 10m
bantime = 10m
logtimezone = UTC
ignoreip = 10.0.0.0/8

[sshd]
enabled = true
loggroup = ${AUTH}

[nginx-http-auth]
enabled = true
loggroup = ${NGINX}
`;

type Handler = (event: unknown) => Promise<unknown>;

const pad = (n: number) => String(n).padStart(2, "0");
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
function syslogDate(ms: number): string {
  const d = new Date(ms);
  return `${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
function nginxDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

let eventCounter = 0;
function event(ms: number, message: string): LogEvent {
  eventCounter++;
  return { id: `${ms}${String(eventCounter).padStart(10, "0")}`, timestamp: ms, message };
}
function delivery(logGroup: string, logStream: string, logEvents: LogEvent[]): SubscriptionEvent {
  return encodeDelivery({ owner: "123456789012", logGroup, logStream, subscriptionFilters: ["cloudjail"], logEvents });
}

describe("cloud mode end to end", () => {
  let local: DynamoDbLocal;
  let bundleDir: string;
  let tableName: string;
  let waf: FakeWaf;
  let ipv4: FakeIpSet;
  let ipv6: FakeIpSet;
  let ec2: FakeEc2;
  let sns: FakeSns;
  let ingest: Handler;
  let reconcile: Handler;
  let admin: Handler;
  const saved = { ...process.env };
  const start = Date.now() - 120_000;

  // Two log groups, a brute-force burst from three attackers (IPv4 and IPv6), and innocent traffic.
  const t = (seconds: number) => start + seconds * 1000;
  const ssh = (s: number, pid: number, text: string) => event(t(s), `${syslogDate(t(s))} web1 sshd[${pid}]: ${text}`);
  const authBatch1 = [
    ssh(1, 3001, "Failed password for root from 192.0.2.10 port 50001 ssh2"),
    ssh(2, 3002, "Accepted publickey for deploy from 198.51.100.4 port 51000 ssh2"),
    ssh(3, 3003, "Failed password for root from 192.0.2.10 port 50002 ssh2"),
    ssh(4, 3004, "Failed password for invalid user admin from 2001:db8::10 port 40001 ssh2"),
    ssh(5, 3005, "Failed password for root from 192.0.2.10 port 50003 ssh2"),
    ssh(6, 3006, "Failed password for root from 10.1.2.3 port 50004 ssh2"),
  ];
  const authBatch2 = [
    ssh(7, 3007, "Failed password for invalid user admin from 2001:db8::10 port 40002 ssh2"),
    ssh(8, 3008, "Failed password for root from 192.0.2.10 port 50005 ssh2"),
    ssh(9, 3009, "Failed password for invalid user oracle from 2001:db8::10 port 40003 ssh2"),
    ssh(10, 3010, "Failed password for root from 10.1.2.3 port 50006 ssh2"),
    ssh(11, 3011, "Failed password for root from 10.1.2.3 port 50007 ssh2"),
    ssh(12, 3012, "Failed password for invalid user pi from 2001:db8::10 port 40004 ssh2"),
  ];
  const nginx = (s: number, user: string) =>
    event(
      t(s),
      `${nginxDate(t(s))} [error] 812#0: *${s} user "${user}" was not found in "/etc/nginx/.htpasswd", client: 198.51.100.7, server: example.com, request: "GET /admin HTTP/1.1", host: "example.com"`,
    );
  const nginxBatch = [nginx(2, "admin"), nginx(4, "root"), nginx(6, "test"), nginx(8, "guest")];

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    tableName = `e2e-${process.pid}`;
    const client = local.client();
    await client.send(new CreateTableCommand(dynamoDbTableDefinition(tableName)));
    await client.send(new UpdateTimeToLiveCommand(dynamoDbTimeToLive(tableName)));
    await client.send(new CreateTableCommand(alertOutboxTableDefinition(`${tableName}-alerts`)));
    client.destroy();

    // The functions' module-scope clients are created from the classes: the fakes are installed on the classes.
    waf = new FakeWaf(10_000, WAFV2Client);
    ipv4 = waf.createIpSet("cloudjail-ipv4", "REGIONAL", "IPV4");
    ipv6 = waf.createIpSet("cloudjail-ipv6", "REGIONAL", "IPV6");
    ec2 = new FakeEc2(20, EC2Client);
    ec2.createAcl(ACL);
    sns = new FakeSns(undefined, SNSClient);

    const jailFile = join(mkdtempSync(join(tmpdir(), "cloudjail-e2e-")), "jail.local");
    writeFileSync(jailFile, JAILS);
    const deployment = loadCloudJails({
      jailFile,
      filterConfigDir: join(root, "config"),
      checkFilter: compileDeployedFilter,
    });
    bundleDir = join(root, "node_modules", ".cache", "cloudjail-e2e", String(process.pid));
    mkdirSync(bundleDir, { recursive: true });
    // The SDK stays external here (deployed bundles include it) so that the functions meet the fakes above.
    const bundles = await bundleLambdasLocally(root, bundleDir, deployment, { externalAwsSdk: true });

    Object.assign(process.env, {
      AWS_REGION: "us-east-1",
      // DynamoDB Local keeps one database per access key and Region: the same as the test's own clients.
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
      [ENV.table]: tableName,
      [ENV.wafScope]: "REGIONAL",
      [ENV.wafIpv4]: `${ipv4.name}|${ipv4.id}|REGIONAL`,
      [ENV.wafIpv6]: `${ipv6.name}|${ipv6.id}|REGIONAL`,
      [ENV.naclIds]: ACL,
      [ENV.naclRules]: "1-90",
      [ENV.naclLimit]: "20",
      [ENV.topicArn]: sns.topicArn,
      [ENV.alertTable]: `${tableName}-alerts`,
      [ENV.label]: "e2e",
      [ENV.announceUnbans]: "true",
    });
    const load = async (dir: string) => (await import(pathToFileURL(join(dir, "index.mjs")).href)).handler as Handler;
    ingest = await load(bundles.ingest.dir);
    reconcile = await load(bundles.reconcile.dir);
    admin = await load(bundles.admin.dir);
  }, 300_000);

  afterAll(async () => {
    process.env = saved;
    vi.useRealTimers();
    await local?.stop();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  const store = () => dynamoDbStore(local.client(), tableName);
  const enforced = () => ({
    ipv4: [...ipv4.addresses].sort(),
    ipv6: [...ipv6.addresses].sort(),
    nacl: ec2
      .denyEntries(ACL, 1, 90)
      .map((entry) => entry.split(" ")[1])
      .sort(),
  });
  const items = async () => {
    const client = local.client();
    const scan = await client.send(new ScanCommand({ TableName: tableName }));
    client.destroy();
    return JSON.stringify((scan.Items ?? []).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
  };

  it("bans each attacker exactly once and enforces the bans at once, through a lost WAF race", async () => {
    // Another writer updates the IPv4 set twice between our read and our write: the function rereads and retries.
    waf.concurrentWriterBeforeNextUpdates(2);
    await ingest(delivery(AUTH, "i-0aaa", authBatch1));
    await ingest(delivery(NGINX, "i-0bbb", nginxBatch));
    await ingest(delivery(AUTH, "i-0aaa", authBatch2));

    const bans = await store().activeBans(Math.floor(Date.now() / 1000));
    expect(bans.map(({ entry }) => [entry.jail, entry.ip, entry.ban?.count])).toEqual([
      ["nginx-http-auth", "198.51.100.7", 1],
      ["sshd", "192.0.2.10", 1],
      ["sshd", "2001:db8::10", 1],
    ]);
    expect(enforced()).toEqual({
      ipv4: ["192.0.2.10/32", "198.51.100.7/32"],
      ipv6: ["2001:db8::10/128"],
      nacl: ["192.0.2.10/32", "198.51.100.7/32", "2001:db8::10/128"],
    });
    expect(waf.calls.filter((call) => call.operation === "UpdateIPSet" && !call.ok).length).toBeGreaterThanOrEqual(2);
    // Alerts: the first ban of the minute is mailed at once, the others of that minute by the next reconcile run.
    expect(sns.published[0]?.subject).toMatch(/^\[cloudjail\] (sshd|nginx-http-auth): banned \S+ \(e2e\)$/);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 61_000);
    await reconcile({});
    vi.useRealTimers();
    const mailed = sns.published.map((message) => message.body).join("\n");
    for (const ip of ["192.0.2.10", "198.51.100.7", "2001:db8::10"]) expect(mailed).toContain(`Address:       ${ip}`);
    expect(mailed.match(/^Address: {7}/gm)).toHaveLength(3);
    expect(sns.published.length).toBeLessThanOrEqual(3);
  });

  it("changes nothing when the same batches are delivered again", async () => {
    const before = {
      items: await items(),
      waf: waf.successfulWrites,
      ec2: ec2.successfulWrites,
      sns: sns.published.length,
    };
    await ingest(delivery(AUTH, "i-0aaa", authBatch1));
    await ingest(delivery(NGINX, "i-0bbb", nginxBatch));
    await ingest(delivery(AUTH, "i-0aaa", authBatch2));
    expect({
      items: await items(),
      waf: waf.successfulWrites,
      ec2: ec2.successfulWrites,
      sns: sns.published.length,
    }).toEqual(before);
  });

  it("skips a malformed delivery without failing the function", async () => {
    await expect(ingest({ awslogs: { data: "bm90IGd6aXA=" } })).resolves.toBeUndefined();
  });

  it("writes its log lines with the invocation's Lambda context, in Powertools Logger's shape", async () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const context = { functionName: "cloudjail-ingest", awsRequestId: "e2e-request-7", memoryLimitInMB: "512" };
    let written: string[];
    try {
      await (ingest as (event: unknown, context: unknown) => Promise<unknown>)(
        { awslogs: { data: "bm90IGd6aXA=" } },
        context,
      );
    } finally {
      // read before mockRestore, which forgets the calls
      written = out.mock.calls.map((call) => String(call[0]));
      out.mockRestore();
    }
    const lines = written
      .flatMap((chunk) => chunk.split("\n"))
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((line) => line.level === "error")).toMatchObject({
      message: expect.stringMatching(/malformed CloudWatch Logs payload/),
      service: "cloudjail",
      cold_start: false,
      function_name: "cloudjail-ingest",
      function_request_id: "e2e-request-7",
      function_memory_size: 512,
    });
  });

  it("keeps a ban pending while UpdateIPSet keeps failing, and the reconcile run finishes it", async () => {
    const lambda = new LambdaClient({ region: "us-east-1" });
    mockClient(lambda)
      .on(InvokeCommand)
      .callsFake(async (input) => {
        const answer = await admin(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString()));
        return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(answer)) } as unknown as InvokeCommandOutput;
      });
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    waf.failNext("UpdateIPSet", "WAFOptimisticLockException", 5);
    const code = await runCloud(
      ["ban", "203.0.113.9", "--jail", "sshd", "--bantime", "5m", "--function", "admin"],
      lambda,
    );
    const printed = out.mock.calls.map((call) => String(call[0])).join("");
    out.mockRestore();
    expect(code).toBe(0);
    expect(printed).toMatch(/banned 203\.0\.113\.9 in sshd .*pending \(retried every minute\) in: waf/s);
    expect(enforced().ipv4).not.toContain("203.0.113.9/32");
    expect(enforced().nacl).toContain("203.0.113.9/32");
    await reconcile({});
    expect(enforced().ipv4).toContain("203.0.113.9/32");
  });

  it("backfills a jail from its log group's history when invoked with a backfill request", async () => {
    // The handler builds its own CloudWatch Logs client: the fake is installed on the class.
    const logs = new FakeCloudWatchLogs(CloudWatchLogsClient);
    process.env.AWS_LAMBDA_FUNCTION_NAME = "cloudjail-ingest";
    const history = (ms: number, n: number, text: string) => ({
      logStreamName: "i-0ccc",
      timestamp: ms,
      message: `${syslogDate(ms)} web2 sshd[${4000 + n}]: ${text}`,
      eventId: `${ms}${n}`.padEnd(56, "0"),
    });
    // three failures of an attacker before the subscription existed, then the live traffic already delivered
    logs.groups.set(AUTH, [
      history(start - 200_000, 1, "Failed password for root from 192.0.2.77 port 52001 ssh2"),
      history(start - 190_000, 2, "Failed password for root from 192.0.2.77 port 52002 ssh2"),
      history(start - 180_000, 3, "Failed password for root from 192.0.2.77 port 52003 ssh2"),
      ...authBatch1.map((e) => ({
        logStreamName: "i-0aaa",
        timestamp: e.timestamp,
        message: e.message,
        eventId: e.id,
      })),
    ]);
    logs.groups.set(NGINX, []);
    logs.subscriptions.set(AUTH, [
      {
        filterName: "cloudjail",
        destinationArn: "arn:aws:lambda:us-east-1:123456789012:function:cloudjail-ingest",
        creationTime: start,
      },
    ]);
    const report = (await ingest({ backfill: { jails: ["sshd"] } })) as BackfillReport;
    expect(report.logGroups).toEqual([
      expect.objectContaining({
        logGroup: AUTH,
        jails: ["sshd"],
        to: Math.floor(start / 1000),
        events: 3,
        failures: 3,
        bans: 1,
      }),
    ]);
    expect(report.bans.map((ban) => ban.ip)).toEqual(["192.0.2.77"]);
    expect(enforced().ipv4).toContain("192.0.2.77/32");
    expect(enforced().nacl).toContain("192.0.2.77/32");
    // only the jail's group was read, up to the subscription's start (what it delivered is not read twice)
    expect(logs.calls.map((call) => [call.logGroupName, call.endTime])).toEqual([[AUTH, start - 1]]);
    // a request the function cannot take is refused with the reason
    await expect(ingest({ backfill: { jails: ["nope"] } })).rejects.toThrow(/no deployed jail "nope"/);
    logs.restore();
  });

  it("lifts every ban once its time is over", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 11 * 60 * 1000);
    const report = (await reconcile({})) as { unbans: number; activeBans: number };
    vi.useRealTimers();
    expect(report).toMatchObject({ unbans: 5, activeBans: 0 });
    expect(enforced()).toEqual({ ipv4: [], ipv6: [], nacl: [] });
    expect(sns.published.at(-1)?.subject).toBe("[cloudjail] 5 unbans (e2e)");
  });

  it("runs the deployed bundles too (AWS SDK inside): the admin function answers from DynamoDB Local", async () => {
    const deployed = join(bundleDir, "deployed");
    const jailFile = join(mkdtempSync(join(tmpdir(), "cloudjail-e2e-")), "jail.local");
    writeFileSync(jailFile, JAILS);
    const deployment = loadCloudJails({ jailFile, filterConfigDir: join(root, "config") });
    const bundles = await bundleLambdasLocally(root, deployed, deployment);
    const deployedAdmin = (await import(pathToFileURL(join(bundles.admin.dir, "index.mjs")).href)).handler as Handler;
    const answer = (await deployedAdmin({ command: "banned" })) as { ok: boolean; data: { bans: unknown[] } };
    expect(answer).toMatchObject({ ok: true, data: { bans: [] } });
    expect(await deployedAdmin({ command: "status", jail: "nope" })).toMatchObject({ ok: false, field: "jail" });
    const deployedIngest = (await import(pathToFileURL(join(bundles.ingest.dir, "index.mjs")).href)).handler as Handler;
    await expect(
      deployedIngest(
        encodeDelivery(
          { owner: "", logGroup: "", logStream: "", subscriptionFilters: [], logEvents: [] },
          "CONTROL_MESSAGE",
        ),
      ),
    ).resolves.toBeUndefined();
  });
});

// Backfill of a newly deployed jail: its log group's history from findtime ago up to the start of its subscription
// (CloudWatch Logs fake with paging, DescribeSubscriptionFilters), through the real sshd filter in its guarded
// worker, the real store on DynamoDB Local and the targets on fake WAF/EC2 APIs; then a live delivery on top.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DeploymentConfig } from "../../../cloud/deployment/deployment-config.js";
import { BackfillRequestError, backfill, parseBackfillRequest } from "../../../cloud/ingest/backfill.js";
import { type IngestDependencies, ingestDelivery } from "../../../cloud/ingest/ingest-delivery.js";
import { guardedLineMatcher } from "../../../cloud/ingest/log-filter-matcher.js";
import { cloudWatchHistory } from "../../../cloud/logs/cloudwatch-history.js";
import { encodeDelivery } from "../../../cloud/logs/subscription-encoding.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../support/dynamodb-local.js";
import { FakeCloudWatchLogs } from "../fakes/logs-fake.js";
import { sshdDeployment } from "../fakes/sshd-deployment.js";
import { createTestCloud, type TestCloud } from "../fakes/test-cloud.js";

const GROUP = "/ec2/web/auth.log";
const FUNCTION = "cloudjail-IngestFunction-abc123";
// 2025-11-21T05:01:00Z; the subscription was created a minute earlier
const NOW = 1_763_701_260;
const SUBSCRIBED = NOW - 60;

/** A syslog sshd failure line at epoch second `time` (UTC). */
function failedLine(time: number, ip: string): string {
  const date = new Date(time * 1000);
  const month = date.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  const clock = date.toISOString().slice(11, 19);
  return `${month} ${String(date.getUTCDate()).padStart(2, " ")} ${clock} web1 sshd[2101]: Failed password for root from ${ip} port 50022 ssh2`;
}

describe("backfill", () => {
  let local: DynamoDbLocal;
  let workerPath: string;
  let deployment: DeploymentConfig;
  let cloud: TestCloud;
  let logs: FakeCloudWatchLogs;

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    ({ deployment, workerPath } = await sshdDeployment(GROUP, { maxRetry: 3, findTime: 600 }));
  });
  afterAll(async () => {
    await local?.stop();
  });
  beforeEach(async () => {
    cloud?.destroy();
    cloud = await createTestCloud(local, deployment, {
      now: NOW,
      ttl: false,
      matcherFactory: (jail) => guardedLineMatcher(jail, workerPath),
    });
    logs = new FakeCloudWatchLogs();
    const event = (stream: string, time: number, ip: string, n: number) => ({
      logStreamName: stream,
      timestamp: time * 1000,
      message: failedLine(time, ip),
      eventId: `${time}${n}`.padEnd(56, "0"),
    });
    logs.groups.set(GROUP, [
      // older than findtime: must not count
      event("i-1", NOW - 900, "192.0.2.22", 1),
      event("i-1", NOW - 850, "192.0.2.22", 2),
      event("i-1", NOW - 800, "192.0.2.22", 3),
      // within findtime, before the subscription: three failures on two hosts' streams make a ban
      event("i-1", NOW - 300, "192.0.2.20", 4),
      event("i-2", NOW - 250, "192.0.2.20", 5),
      event("i-1", NOW - 200, "192.0.2.20", 6),
      // two failures before the subscription, the third delivered live after it
      event("i-2", NOW - 280, "192.0.2.21", 7),
      event("i-2", NOW - 180, "192.0.2.21", 8),
      event("i-2", NOW - 30, "192.0.2.21", 9),
      // a line that is no failure
      { logStreamName: "i-1", timestamp: (NOW - 100) * 1000, message: "web1 CRON[1]: session opened", eventId: "7" },
    ]);
    logs.subscriptions.set(GROUP, [
      {
        filterName: "someone-else",
        destinationArn: "arn:aws:lambda:us-east-1:123456789012:function:other",
        creationTime: (NOW - 5000) * 1000,
      },
      {
        filterName: "cloudjail",
        destinationArn: `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}`,
        creationTime: SUBSCRIBED * 1000,
      },
    ]);
  });

  const deps = (): IngestDependencies => {
    const { runtime } = cloud;
    return {
      runner: runtime.runner,
      store: runtime.store,
      routes: runtime.routes,
      enforce: runtime.enforce,
      announce: runtime.announce,
      metrics: runtime.metrics(),
      log: runtime.log,
      clock: runtime.clock,
    };
  };

  it("counts the history from findtime ago to the subscription's start, bans, enforces, and counts once", async () => {
    const history = cloudWatchHistory(logs.client, FUNCTION);
    const report = await backfill({}, deps(), history);
    expect(report.logGroups).toEqual([
      {
        logGroup: GROUP,
        jails: ["sshd"],
        from: NOW - 600,
        to: SUBSCRIBED,
        // the CRON line is left out by the jail's filter pattern ("sshd"), server-side
        events: 5,
        failures: 5,
        duplicates: 0,
        bans: 1,
      },
    ]);
    expect(report.bans.map((ban) => [ban.ip, ban.time])).toEqual([["192.0.2.20", NOW - 200]]);
    expect(cloud.enforced().ipv4).toEqual(["192.0.2.20/32"]);
    // the reads: the window only, the subscription's start excluded
    expect(logs.calls.map((call) => [call.startTime, call.endTime])).toEqual([
      [(NOW - 600) * 1000, SUBSCRIBED * 1000 - 1],
    ]);

    // the failure delivered live completes 192.0.2.21's count: the backfilled two and this one make a ban
    const live = await ingestDelivery(
      encodeDelivery({
        owner: "123456789012",
        logGroup: GROUP,
        logStream: "i-2",
        subscriptionFilters: ["cloudjail"],
        logEvents: [{ id: "live-1", timestamp: (NOW - 30) * 1000, message: failedLine(NOW - 30, "192.0.2.21") }],
      }),
      deps(),
    );
    expect(live.bans.map((ban) => ban.ip)).toEqual(["192.0.2.21"]);

    // a second backfill (the command run twice) counts nothing again
    const again = await backfill({ jails: ["sshd"] }, deps(), history);
    expect(again.logGroups[0]).toMatchObject({ events: 5, failures: 5, bans: 0 });
    expect(again.bans).toEqual([]);
    expect((await cloud.runtime.runner.activeBans(NOW)).map((ban) => ban.ip).sort()).toEqual([
      "192.0.2.20",
      "192.0.2.21",
    ]);
  });

  it("reads up to now when the function has no subscription on the group, and nothing when findtime is over", async () => {
    logs.subscriptions.set(GROUP, []);
    const report = await backfill({}, deps(), cloudWatchHistory(logs.client, FUNCTION));
    expect(report.logGroups[0]).toMatchObject({ from: NOW - 600, to: NOW, events: 6, failures: 6, bans: 2 });

    logs.subscriptions.set(GROUP, [
      {
        filterName: "cloudjail",
        destinationArn: `arn:aws:lambda:us-east-1:1:function:${FUNCTION}:live`,
        creationTime: (NOW - 700) * 1000,
      },
    ]);
    logs.calls.length = 0;
    const late = await backfill({}, deps(), cloudWatchHistory(logs.client, FUNCTION));
    expect(late.logGroups[0]).toMatchObject({ from: NOW - 600, to: NOW - 700, events: 0 });
    expect(logs.calls).toEqual([]);
  });

  it.each([
    [{ awslogs: { data: "" } }, undefined],
    [{ backfill: {} }, {}],
    [{ backfill: { jails: ["sshd", "sshd"] } }, { jails: ["sshd"] }],
    [{ backfill: { jails: ["nope"] } }, /no deployed jail "nope" \(deployed: sshd\)/],
    [{ backfill: { jails: [] } }, /1 to 100 jail names/],
    [{ backfill: { jails: "sshd" } }, /1 to 100 jail names/],
    [{ backfill: { since: 3600 } }, /unknown field backfill\.since/],
    [{ backfill: [] }, /must be an object/],
    [{ backfill: {}, awslogs: {} }, /unknown field "awslogs" beside backfill/],
  ])("parses the request %j", (event, expected) => {
    if (expected instanceof RegExp) {
      expect(() => parseBackfillRequest(event, ["sshd"])).toThrow(BackfillRequestError);
      expect(() => parseBackfillRequest(event, ["sshd"])).toThrow(expected);
    } else {
      expect(parseBackfillRequest(event, ["sshd"])).toEqual(expected);
    }
  });
});

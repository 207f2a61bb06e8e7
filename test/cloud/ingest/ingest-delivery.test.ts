// The ingest pipeline on the committed CloudWatch Logs fixtures (real gzip payloads), the real sshd filter in its
// guarded worker, the real store on DynamoDB Local, and the targets on fake WAF/EC2 APIs.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { handleAdminPayload } from "../../../cloud/admin/admin-service.js";
import type { DeployedJail, DeploymentConfig } from "../../../cloud/deployment/deployment-config.js";
import { ingestDelivery } from "../../../cloud/ingest/ingest-delivery.js";
import { guardedLineMatcher } from "../../../cloud/ingest/log-filter-matcher.js";
import { encodeDelivery } from "../../../cloud/logs/subscription-encoding.js";
import { deliveryFromPayload, loadDelivery } from "../../support/cloudwatch-events.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../support/dynamodb-local.js";
import { sshdDeployment } from "../fakes/sshd-deployment.js";
import { createTestCloud, type TestCloud } from "../fakes/test-cloud.js";

// The fixture's events are dated 2025-11-21 05:00:01..04 UTC; the deliveries are processed a minute later.
const ARRIVAL = 1_763_701_260;

describe("ingest pipeline", () => {
  let local: DynamoDbLocal;
  let workerPath: string;
  let deployment: DeploymentConfig;
  let cloud: TestCloud;

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    ({ deployment, workerPath } = await sshdDeployment("/ec2/web/auth.log", { maxRetry: 2 }));
  });
  afterAll(async () => {
    await local?.stop();
  });
  beforeEach(async () => {
    cloud?.destroy();
    cloud = await createTestCloud(local, deployment, {
      now: ARRIVAL,
      ttl: false,
      matcherFactory: (jail) => guardedLineMatcher(jail, workerPath),
    });
  });

  const run = (event: unknown) => {
    const { runtime } = cloud;
    const metrics = runtime.metrics();
    return ingestDelivery(event, {
      runner: runtime.runner,
      store: runtime.store,
      routes: runtime.routes,
      enforce: runtime.enforce,
      announce: runtime.announce,
      metrics,
      log: runtime.log,
      clock: runtime.clock,
    }).finally(() => metrics.flush());
  };

  it("counts the failures of a delivery, bans at maxretry, enforces at once and alerts", async () => {
    const report = await run(loadDelivery("sshd-auth"));
    expect(report).toMatchObject({
      kind: "data",
      logGroup: "/ec2/web/auth.log",
      events: 4,
      failures: 3,
      duplicates: 0,
    });
    expect(report.bans.map((ban) => [ban.jail, ban.ip, ban.time, ban.banUntil])).toEqual([
      ["sshd", "192.0.2.10", 1_763_701_202, 1_763_701_202 + 3600],
    ]);
    expect(cloud.enforced()).toEqual({ ipv4: ["192.0.2.10/32"], ipv6: [], nacl: ["192.0.2.10/32"] });
    expect(await cloud.runtime.runner.activeBans(ARRIVAL)).toHaveLength(1);
    expect(cloud.sns.published).toHaveLength(1);
    const { subject, body } = cloud.sns.published[0]!;
    expect(subject).toBe("[cloudjail] sshd: banned 192.0.2.10 (test)");
    expect(body).toContain("First failure: 2025-11-21T05:00:01Z");
    expect(body).toContain("Last failure:  2025-11-21T05:00:02Z");
    expect(body).toContain("Nov 21 05:00:02 web1 sshd[2101]: Failed password for root from 192.0.2.10 port 50022 ssh2");
    const metrics = cloud.lines.filter((line) => "_aws" in line);
    expect(metrics).toContainEqual(expect.objectContaining({ Jail: "sshd", Failures: 3, Bans: 1 }));
    expect(metrics).toContainEqual(expect.objectContaining({ LinesRead: 4 }));
  });

  it("takes a full delivery (10,000 events): 500 attackers, each banned once, one digest", async () => {
    const base = ARRIVAL - 60;
    const stamp = (t: number) => `Nov 21 05:00:${String(t - base).padStart(2, "0")}`;
    const logEvents = Array.from({ length: 10_000 }, (_, i) => {
      const attacker = i % 500;
      const t = base + Math.floor(i / 200);
      const ip = `198.18.${attacker >> 8}.${attacker & 255}`;
      return {
        id: `${t}${String(i).padStart(8, "0")}`.padEnd(56, "0"),
        timestamp: t * 1000,
        message: `${stamp(t)} web1 sshd[${3000 + i}]: Failed password for root from ${ip} port ${40000 + i} ssh2`,
      };
    });
    const report = await run(
      encodeDelivery({
        owner: "123456789012",
        logGroup: "/ec2/web/auth.log",
        logStream: "i-0big",
        subscriptionFilters: ["cloudjail"],
        logEvents,
      }),
    );
    expect(report).toMatchObject({ events: 10_000, failures: 10_000, duplicates: 0 });
    expect(report.bans).toHaveLength(500);
    expect(new Set(report.bans.map((ban) => ban.ip)).size).toBe(500);
    const enforced = cloud.enforced();
    expect(enforced.ipv4).toHaveLength(500);
    expect(cloud.sns.published).toHaveLength(1);
    expect(cloud.sns.published[0]!.subject).toBe("[cloudjail] 500 bans in sshd (test)");
  }, 120_000);

  it("is idempotent: the same delivery twice counts once and sends nothing more", async () => {
    await run(loadDelivery("sshd-auth"));
    const writes = cloud.runtime.store.counters().writes;
    const again = await run(loadDelivery("sshd-auth"));
    expect(again.bans).toEqual([]);
    expect(again.duplicates).toBe(1); // the IPv6 failure; the banned address's failures are "banned"
    expect(cloud.runtime.store.counters().writes).toBe(writes);
    expect(cloud.sns.published).toHaveLength(1);
  });

  it("remembers bans across deliveries (no store request for a banned address), and forgets at an admin unban", async () => {
    const base = ARRIVAL - 60;
    const ip = "192.0.2.50";
    const delivery = (times: number[]) =>
      encodeDelivery({
        owner: "123456789012",
        logGroup: "/ec2/web/auth.log",
        logStream: "i-0memory",
        subscriptionFilters: ["cloudjail"],
        logEvents: times.map((t, i) => {
          const clock = new Date(t * 1000).toISOString().slice(11, 19);
          return {
            id: `${t}${String(i).padStart(8, "0")}`.padEnd(56, "0"),
            timestamp: t * 1000,
            message: `Nov 21 ${clock} web1 sshd[${4000 + i}]: Failed password for root from ${ip} port ${41000 + i} ssh2`,
          };
        }),
      });
    const { runtime } = cloud;
    const withMemory = (event: unknown) =>
      ingestDelivery(event, {
        runner: runtime.runner,
        store: runtime.store,
        routes: runtime.routes,
        enforce: runtime.enforce,
        knownBans: runtime.knownBans,
        metrics: runtime.metrics(),
        log: runtime.log,
        clock: runtime.clock,
      });
    expect((await withMemory(delivery([base + 1, base + 2]))).bans.map((ban) => ban.ip)).toEqual([ip]);
    runtime.store.resetCounters();
    const later = await withMemory(delivery([base + 10, base + 11, base + 12]));
    expect(later).toMatchObject({ failures: 3, bans: [] });
    expect(runtime.store.counters()).toMatchObject({ reads: 0, writes: 0 });
    // another container (the admin function) lifts the ban: this container must count the address again
    const { runtime: admin } = await cloud.container();
    expect(await handleAdminPayload(admin, { command: "unban", ip, jail: "sshd" })).toMatchObject({ ok: true });
    cloud.clock.now = ARRIVAL + 100;
    const again = await withMemory(delivery([ARRIVAL + 50, ARRIVAL + 51]));
    expect(again.bans.map((ban) => ban.ip)).toEqual([ip]);
    expect(cloud.enforced().ipv4).toEqual([`${ip}/32`]);
  });

  it("enforces its own new bans without reading the active-bans index (which may lag)", async () => {
    const { runtime, index } = await cloud.container({ laggingIndex: true });
    await index!.freeze(); // an index that would show no ban at all
    const report = await ingestDelivery(loadDelivery("sshd-auth"), {
      runner: runtime.runner,
      store: runtime.store,
      routes: runtime.routes,
      enforce: runtime.enforce,
      knownBans: runtime.knownBans,
      metrics: runtime.metrics(),
      log: runtime.log,
      clock: runtime.clock,
    });
    expect(report.bans.map((ban) => ban.ip)).toEqual(["192.0.2.10"]);
    expect(cloud.enforced()).toEqual({ ipv4: ["192.0.2.10/32"], ipv6: [], nacl: ["192.0.2.10/32"] });
    expect(index!.staleAnswers).toBe(0);
  });

  it("ignores CloudWatch's CONTROL_MESSAGE", async () => {
    expect(await run(loadDelivery("control"))).toMatchObject({ kind: "control", events: 0 });
    expect(cloud.lines).toEqual([]);
  });

  it("sets malformed events aside with their ids and processes the rest", async () => {
    const report = await run(deliveryFromPayload("bad-events"));
    expect(report).toMatchObject({ kind: "data", events: 2, rejectedEvents: 2, failures: 2 });
    const errors = cloud.lines.filter((line) => line.level === "error");
    expect(errors).toEqual([
      expect.objectContaining({
        logGroup: "/ec2/web/auth.log",
        logStream: "i-0123456789abcdef0",
        eventId: "36000000000000000000000000000000000000000000000000000001",
      }),
      expect.objectContaining({ eventId: "36000000000000000000000000000000000000000000000000000002" }),
    ]);
  });

  it("logs a malformed delivery and succeeds, so that Lambda does not retry it", async () => {
    await expect(run({ awslogs: { data: "H4sIAAAA" } })).resolves.toMatchObject({ kind: "malformed" });
    expect(cloud.lines).toContainEqual(
      expect.objectContaining({ level: "error", message: expect.stringMatching(/malformed CloudWatch Logs payload/) }),
    );
    expect(cloud.lines).toContainEqual(expect.objectContaining({ MalformedEvents: 1 }));
  });

  it("warns about a log group no jail reads", async () => {
    const event = encodeDelivery({
      owner: "1",
      logGroup: "/other",
      logStream: "s",
      subscriptionFilters: [],
      logEvents: [{ id: "1", timestamp: 1, message: "x" }],
    });
    expect(await run(event)).toMatchObject({ kind: "unrouted", logGroup: "/other" });
  });

  it("fails the invocation when the store fails, so that Lambda retries the (idempotent) batch", async () => {
    const broken = await createTestCloud(local, deployment, {
      now: ARRIVAL,
      ttl: false,
      matcherFactory: (jail) => guardedLineMatcher(jail, workerPath),
    });
    const { runtime } = broken;
    // The store's table is gone: every request fails.
    const { DeleteTableCommand } = await import("@aws-sdk/client-dynamodb");
    const client = local.client();
    await client.send(new DeleteTableCommand({ TableName: runtime.settings.tableName }));
    client.destroy();
    await expect(
      ingestDelivery(loadDelivery("sshd-auth"), {
        runner: runtime.runner,
        store: runtime.store,
        routes: runtime.routes,
        enforce: runtime.enforce,
        metrics: runtime.metrics(),
        log: runtime.log,
        clock: runtime.clock,
      }),
    ).rejects.toThrow(/DynamoDB/);
    broken.destroy();
  });

  it("keeps the ban when the alert cannot be sent", async () => {
    cloud.sns.failNext(1);
    const report = await run(loadDelivery("sshd-auth"));
    expect(report.bans).toHaveLength(1);
    expect(cloud.enforced().ipv4).toEqual(["192.0.2.10/32"]);
    expect(cloud.lines).toContainEqual(
      expect.objectContaining({ level: "error", message: expect.stringMatching(/alert not sent/) }),
    );
  });

  it("abandons a line crafted to make the regex engine backtrack, and goes on with the batch", async () => {
    const slow: DeployedJail = {
      ...deployment.jails[0]!,
      name: "slow",
      logGroups: ["/slow"],
      filter: { source: "slow", failregex: ["^x(a|aa)+y from <HOST>$", "^bad login from <HOST>$"], ignoreregex: [] },
    };
    const slowCloud = await createTestCloud(
      local,
      { version: 1, jails: [slow] },
      {
        now: ARRIVAL,
        ttl: false,
        matcherFactory: (jail) => guardedLineMatcher(jail, workerPath, 40),
      },
    );
    const { runtime } = slowCloud;
    const event = encodeDelivery({
      owner: "1",
      logGroup: "/slow",
      logStream: "s",
      subscriptionFilters: [],
      logEvents: [
        { id: "e1", timestamp: ARRIVAL * 1000, message: "bad login from 192.0.2.1" },
        { id: "e2", timestamp: ARRIVAL * 1000, message: `x${"a".repeat(64)} y from 192.0.2.66` },
        { id: "e3", timestamp: ARRIVAL * 1000, message: "bad login from 192.0.2.1" },
      ],
    });
    const started = Date.now();
    const report = await ingestDelivery(event, {
      runner: runtime.runner,
      store: runtime.store,
      routes: runtime.routes,
      enforce: runtime.enforce,
      metrics: runtime.metrics(),
      log: runtime.log,
      clock: runtime.clock,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(report.failures).toBe(2);
    expect(report.bans.map((ban) => ban.ip)).toEqual(["192.0.2.1"]);
    expect(slowCloud.lines).toContainEqual(
      expect.objectContaining({
        level: "error",
        eventId: "e2",
        message: expect.stringMatching(/abandoned by jail slow/),
      }),
    );
    slowCloud.destroy();
  });

  it("fails the invocation when a jail's filter worker cannot start, and starts it on the next delivery", async () => {
    let calls = 0;
    const flaky = await createTestCloud(local, deployment, {
      now: ARRIVAL,
      ttl: false,
      matcherFactory: (jail) => {
        const real = guardedLineMatcher(jail, workerPath);
        const missing = guardedLineMatcher(jail, join(tmpdir(), "no-such-worker.mjs"));
        return { match: (events) => (++calls === 1 ? missing.match(events) : real.match(events)) };
      },
    });
    const { runtime } = flaky;
    const deps = {
      runner: runtime.runner,
      store: runtime.store,
      routes: runtime.routes,
      enforce: runtime.enforce,
      metrics: runtime.metrics(),
      log: runtime.log,
      clock: runtime.clock,
    };
    await expect(ingestDelivery(loadDelivery("sshd-auth"), deps)).rejects.toThrow();
    expect(flaky.lines).toContainEqual(
      expect.objectContaining({ level: "error", message: expect.stringMatching(/could not run on this batch/) }),
    );
    const retried = await ingestDelivery(loadDelivery("sshd-auth"), deps);
    expect(retried.bans.map((ban) => ban.ip)).toEqual(["192.0.2.10"]);
    flaky.destroy();
  });
});

// One immediate alert per minute across invocations, the rest as one digest sent by the reconcile run; on DynamoDB
// Local with the fake SNS topic.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BanAlert } from "../../../cloud/alerts/ban-alert.js";
import { reconcile } from "../../../cloud/reconcile/reconcile-run.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../support/dynamodb-local.js";
import { createTestCloud, testJail } from "../fakes/test-cloud.js";

const alert = (ip: string, bannedAt: number): BanAlert => ({
  jail: "sshd",
  ip,
  failures: 3,
  bannedAt,
  until: bannedAt + 600,
  matches: [`Failed password for root from ${ip}`],
});

describe("alert outbox", () => {
  let local: DynamoDbLocal;
  beforeAll(async () => {
    local = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await local?.stop();
  });

  it("mails the first ban of a minute at once and the rest of the burst as one digest", async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60;
    const cloud = await createTestCloud(local, { version: 1, jails: [testJail("sshd", ["/a"])] }, { now: minute + 5 });
    const { runtime, sns } = cloud;
    // Three invocations in the same minute, as concurrent containers would make them.
    await runtime.announce([alert("192.0.2.1", minute + 5)]);
    cloud.clock.now = minute + 20;
    await runtime.announce([alert("192.0.2.2", minute + 20)]);
    cloud.clock.now = minute + 40;
    await runtime.announce([alert("192.0.2.3", minute + 40), alert("2001:db8::3", minute + 40)]);
    expect(sns.published.map((m) => m.subject)).toEqual(["[cloudjail] sshd: banned 192.0.2.1 (test)"]);

    expect(await runtime.flushAlerts(minute + 59)).toBe(0);
    const report = await reconcile(runtime, minute + 61);
    expect(report.now).toBe(minute + 61);
    expect(sns.published).toHaveLength(2);
    expect(sns.published[1]!.subject).toBe("[cloudjail] 3 bans in sshd (test)");
    for (const ip of ["192.0.2.2", "192.0.2.3", "2001:db8::3"]) expect(sns.published[1]!.body).toContain(ip);
    expect(await runtime.flushAlerts(minute + 121)).toBe(0);

    // A new minute: its first ban is mailed at once again.
    cloud.clock.now = minute + 65;
    await runtime.announce([alert("192.0.2.9", minute + 65)]);
    expect(sns.published.at(-1)!.subject).toBe("[cloudjail] sshd: banned 192.0.2.9 (test)");
    cloud.destroy();
  });

  it("keeps queued alerts when the digest cannot be sent, and sends them with the next run", async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60;
    const cloud = await createTestCloud(local, { version: 1, jails: [testJail("sshd", ["/a"])] }, { now: minute + 1 });
    await cloud.runtime.announce([alert("192.0.2.1", minute + 1)]);
    await cloud.runtime.announce([alert("192.0.2.2", minute + 2)]);
    cloud.sns.failNext(1);
    await reconcile(cloud.runtime, minute + 61);
    expect(cloud.lines).toContainEqual(
      expect.objectContaining({ level: "error", message: expect.stringMatching(/ban digest not sent/) }),
    );
    await reconcile(cloud.runtime, minute + 121);
    expect(cloud.sns.published.map((m) => m.subject)).toEqual([
      "[cloudjail] sshd: banned 192.0.2.1 (test)",
      "[cloudjail] sshd: banned 192.0.2.2 (test)",
    ]);
    cloud.destroy();
  });
});

import { describe, expect, it } from "vitest";
import { readLogEvents } from "../../../cloud/logs/cloudwatch-log-reader.js";
import { FakeCloudWatchLogs } from "../fakes/logs-fake.js";

const instant = { sleep: async () => {}, random: () => 0.5 };

function fakeWithEvents(count: number): FakeCloudWatchLogs {
  const logs = new FakeCloudWatchLogs();
  logs.groups.set(
    "/ec2/auth.log",
    Array.from({ length: count }, (_, i) => ({
      logStreamName: `i-${i % 3}`,
      timestamp: 1_000_000 + i * 1000,
      message: i % 2 ? `sshd[${i}]: Failed password for root from 192.0.2.${i % 250} port 22 ssh2` : `cron[${i}]: ok`,
      eventId: `e${i}`,
    })),
  );
  return logs;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe("readLogEvents", () => {
  it("follows nextToken across pages within the time range", async () => {
    const logs = fakeWithEvents(25);
    const events = await collect(
      readLogEvents(logs.client, {
        logGroupName: "/ec2/auth.log",
        startTime: 1_002_000,
        endTime: 1_021_000,
        pageSize: 7,
        retry: instant,
      }),
    );
    expect(events.map((e) => e.id)).toEqual(Array.from({ length: 20 }, (_, i) => `e${i + 2}`));
    expect(events[0]).toMatchObject({ logStream: "i-2", timestamp: 1_002_000, message: "cron[2]: ok" });
    expect(logs.calls).toHaveLength(3);
  });

  it("passes the filter pattern to the service and stops at maxEvents", async () => {
    const logs = fakeWithEvents(40);
    const events = await collect(
      readLogEvents(logs.client, {
        logGroupName: "/ec2/auth.log",
        startTime: 0,
        filterPattern: "sshd",
        maxEvents: 5,
        retry: instant,
      }),
    );
    expect(events).toHaveLength(5);
    expect(events.every((e) => e.message.includes("sshd"))).toBe(true);
    expect(logs.calls[0]!.filterPattern).toBe("sshd");
  });

  it("retries throttled pages", async () => {
    const logs = fakeWithEvents(10);
    logs.throttleNext(2);
    const events = await collect(
      readLogEvents(logs.client, { logGroupName: "/ec2/auth.log", startTime: 0, retry: instant }),
    );
    expect(events).toHaveLength(10);
    expect(logs.calls).toHaveLength(3);
  });

  it("reports a missing log group", async () => {
    const logs = fakeWithEvents(1);
    await expect(
      collect(readLogEvents(logs.client, { logGroupName: "/nope", startTime: 0, retry: instant })),
    ).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });
});

// `cloudjail replay --log-group`: past events of a CloudWatch Logs log group, read through FilterLogEvents (a fake
// that keeps the API's paging rules), run through the jails whose loggroup names it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { run } from "../../cli/commands/replay.js";
import { FakeCloudWatchLogs } from "../cloud/fakes/logs-fake.js";

const root = join(import.meta.dirname, "..", "..");
const context = { distDir: join(root, "dist"), bundledConfigDir: join(root, "config") };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cloudjail-replay-lg-"));
  mkdirSync(join(dir, "filter.d"));
  writeFileSync(
    join(dir, "filter.d", "portal.conf"),
    "[Definition]\nfailregex = ^login failed for \\S+ from <HOST>$\n",
  );
  writeFileSync(
    join(dir, "jail.local"),
    "[portal]\nenabled = true\nfilter = portal\nloggroup = /app/portal\nmaxretry = 3\nfindtime = 10m\nbantime = 1h\n",
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function capture(): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => err.push(String(chunk)) > 0);
  return { out, err };
}

describe("cloudjail replay --log-group", () => {
  it("bans from past events, using each event's timestamp for lines without a date, across pages", async () => {
    const logs = new FakeCloudWatchLogs();
    const now = Math.floor(Date.now() / 1000);
    const events = [];
    // 25,000 events: three pages of at most 10,000; one attacker among much noise
    for (let i = 0; i < 25_000; i++) {
      const attacker = i % 500 === 0;
      events.push({
        logStreamName: `i-0${i % 3}`,
        timestamp: (now - 3600 + i * 0.1) * 1000,
        message: attacker
          ? "login failed for root from 203.0.113.7"
          : `login ok for user${i} from 198.51.100.${i % 200}`,
        eventId: `e${i}`,
      });
    }
    logs.groups.set("/app/portal", events);
    const { out, err } = capture();
    const code = await run(["--config", dir, "--log-group", "/app/portal", "--since", "2h", "--out", "json"], context, {
      logsClient: () => logs.client,
    });
    vi.restoreAllMocks();
    // (the AWS SDK may print a Node.js version notice; cloudjail itself must have nothing to complain about)
    expect(err.join("")).not.toMatch(/cloudjail|abandoned|error/i);
    expect(code).toBe(0);
    const decisions = out
      .join("")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((row) => JSON.parse(row));
    expect(decisions.map((d) => `${d.action} ${d.ip}`)).toEqual(["ban 203.0.113.7"]);
    // the third failure (event 1,000) bans, at that event's timestamp
    expect(decisions[0].time).toBeCloseTo(now - 3600 + 1000 * 0.1, 3);
    expect(logs.calls.length).toBe(3);
    expect(logs.calls[0]?.startTime).toBeGreaterThanOrEqual((now - 7200) * 1000 - 1000);
  });

  it("says which log group no jail reads", async () => {
    const logs = new FakeCloudWatchLogs();
    logs.groups.set("/other", []);
    await expect(
      run(["--config", dir, "--log-group", "/other"], context, { logsClient: () => logs.client }),
    ).rejects.toThrow(/no enabled jail has a loggroup matching '\/other'/);
  });
});

// Multi-line filter state belongs to one log stream: lines of two hosts' streams, delivered in turn to the same
// container, never make one failure together, and each stream's own pair still does; with the filter in this thread
// and in the guarded worker the Lambda uses.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFilterWorker } from "../../../cdk/lambda-bundling.js";
import type { DeployedJail } from "../../../cloud/deployment/deployment-config.js";
import type { LineMatcher } from "../../../cloud/ingest/line-matcher.js";
import { guardedLineMatcher, unguardedLineMatcher } from "../../../cloud/ingest/log-filter-matcher.js";
import { MAX_SOURCES } from "../../../shared/filter/source-filters.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
let workDir: string;
let workerPath: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "cloudjail-matcher-"));
  workerPath = join(workDir, "filter-worker.mjs");
  await bundleFilterWorker(root, workerPath);
}, 120_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

// a two-line failure: the session line names the address, the next line of the same log says it failed
const jail: DeployedJail = {
  name: "twoline",
  logGroups: ["/app"],
  filter: {
    source: "test",
    failregex: ["^\\s*\\S+ session from <HOST>\\n\\s*\\S+ session failed\\s*$"],
    ignoreregex: [],
    maxlines: 2,
  },
  maxRetry: 3,
  findTime: 600,
  banTime: 600,
  maxMatches: 5,
  increment: {},
  ignoreIp: "",
  filterPattern: "",
} as DeployedJail;

const at = Date.UTC(2026, 10, 20, 12) / 1000;
const event = (message: string) => ({ message: `2026-11-20T12:00:00Z ${message}`, eventTime: at });
const ips = (outputs: Awaited<ReturnType<LineMatcher["match"]>>) => outputs.flatMap((o) => o.failures.map((f) => f.ip));

describe.each([
  ["in this thread", () => unguardedLineMatcher(jail)],
  ["in the guarded worker", () => guardedLineMatcher(jail, workerPath)],
])("a multi-line filter %s", (_, makeMatcher) => {
  it("keeps one buffer per log stream", async () => {
    const matcher = makeMatcher();
    // stream A opens a session, stream B's failure line comes next: no failure across the two streams
    expect(ips(await matcher.match([event("a session from 192.0.2.1")], "/app\nhost-a"))).toEqual([]);
    expect(ips(await matcher.match([event("b session failed")], "/app\nhost-b"))).toEqual([]);
    // A's own next line completes A's failure, although B's delivery came in between
    expect(ips(await matcher.match([event("a session failed")], "/app\nhost-a"))).toEqual(["192.0.2.1"]);
    // without a source the lines share one buffer (one log)
    expect(ips(await matcher.match([event("c session from 192.0.2.3"), event("c session failed")]))).toEqual([
      "192.0.2.3",
    ]);
  });

  it("remembers as many streams as its limit, and forgets the one unused the longest beyond it", async () => {
    const matcher = makeMatcher();
    await matcher.match([event("a session from 192.0.2.1")], "stream-0");
    for (let i = 1; i < MAX_SOURCES; i++) await matcher.match([event("x quiet")], `stream-${i}`);
    expect(ips(await matcher.match([event("a session failed")], "stream-0"))).toEqual(["192.0.2.1"]);
    await matcher.match([event("a session from 192.0.2.2")], "stream-0");
    for (let i = 1; i <= MAX_SOURCES; i++) await matcher.match([event("x quiet")], `other-${i}`);
    // stream-0 was forgotten: its open session is gone
    expect(ips(await matcher.match([event("a session failed")], "stream-0"))).toEqual([]);
  });
});

// fail2ban 1.1's form: the address may stand in the prefregex's head or in the failregex's body, both optional
const optionalAddress: DeployedJail = {
  ...jail,
  name: "optional-address",
  filter: {
    source: "test",
    prefregex: "^\\s*(?:head: <ADDR>, )?<F-CONTENT>.+</F-CONTENT>$",
    failregex: ["^auth failed(?: from <ADDR>)?$"],
    ignoreregex: [],
  },
} as DeployedJail;

describe.each([
  ["in this thread", () => unguardedLineMatcher(optionalAddress)],
  ["in the guarded worker", () => guardedLineMatcher(optionalAddress, workerPath)],
])("a filter whose address is optional %s", (_, makeMatcher) => {
  it("counts the lines with an address and marks the event whose line had none", async () => {
    const outputs = await makeMatcher().match(
      [event("head: 192.0.2.7, auth failed"), event("auth failed"), event("auth failed from 192.0.2.8")],
      "s",
    );
    expect(outputs.map((o) => [o.failures.map((f) => f.ip), o.unidentified])).toEqual([
      [["192.0.2.7"], 0],
      [[], 1],
      [["192.0.2.8"], 0],
    ]);
  });
});

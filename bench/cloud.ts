// Cloud mode figures: the ingest handler on a 1 MB CloudWatch Logs delivery (real store on DynamoDB Local, real
// filter worker, WAF/EC2/SNS fakes), the Lambda bundle sizes, the cold-start import time of the bundled handler, and
// the cost per million log lines that follows, with the prices used stated in the notes.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CreateTableCommand, ScanCommand, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { INGEST_SETTINGS } from "../cdk/function-settings.js";
import { bundleLambdasLocally } from "../cdk/lambda-bundling.js";
import { loadCloudJails } from "../cloud/deployment/cloud-jail-file.js";
import { ingestDelivery } from "../cloud/ingest/ingest-delivery.js";
import { guardedLineMatcher } from "../cloud/ingest/log-filter-matcher.js";
import { encodeDelivery } from "../cloud/logs/subscription-encoding.js";
import { createCloudRuntime } from "../cloud/runtime/cloud-runtime.js";
import { ENV } from "../cloud/runtime/runtime-settings.js";
import { dynamoDbTableDefinition, dynamoDbTimeToLive } from "../cloud/store/dynamodb-table.js";
import { FakeEc2 } from "../test/cloud/fakes/ec2-fake.js";
import { FakeSns } from "../test/cloud/fakes/sns-fake.js";
import { FakeWaf } from "../test/cloud/fakes/waf-fake.js";
import { startDynamoDbLocal } from "../test/support/dynamodb-local.js";
import { writeAuthLog } from "./auth-log.js";
import { type BenchRow, positiveFromEnv } from "./bench-row.js";

/** Prices used (us-east-1, on-demand, published AWS list prices). */
export const PRICES = {
  /** Lambda arm64, per GB-second. */
  lambdaArmGbSecond: 0.0000133334,
  /** Lambda, per request. */
  lambdaRequest: 0.2 / 1e6,
  /** DynamoDB on-demand, per write request unit (1 KB). */
  dynamoWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand, per read request unit (4 KB, strongly consistent). */
  dynamoReadUnit: 0.125 / 1e6,
};
/** A Lambda of 512 MB gets 512/1769 of a vCPU: CPU-bound time measured here on a full core is scaled by this. */
const LAMBDA_CPU_SCALE = 1769 / INGEST_SETTINGS.memorySize;
const MB = 1024 * 1024;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Consecutive 1 MB deliveries of the sshd log group, cut from a generated auth.log. A delivery holds the lines of
 * about one minute, as on a busy fleet: each line is re-dated (its syslog date rewritten) into that minute, and the
 * delivery is processed when it arrives (clock = its last line + 5 s), so failures are fresh and reach the store.
 */
function deliveries(workDir: string, count: number) {
  const path = join(workDir, "cloud-auth.log");
  const now = Math.floor(Date.now() / 1000);
  writeAuthLog(path, 12_000 * count, now);
  const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
  const batches: { event: ReturnType<typeof encodeDelivery>; lines: number; bytes: number; arrival: number }[] = [];
  let index = 0;
  for (let b = 0; b < count; b++) {
    const first = index;
    let last = index;
    for (let bytes = 0; bytes < MB && last < lines.length; last++) bytes += Buffer.byteLength(lines[last]!);
    const minuteStart = now - (count - b) * 60;
    const logEvents = lines.slice(first, last).map((line, i, all) => {
      const time = minuteStart + Math.floor((i * 60) / all.length);
      return {
        id: `${first + i}`.padStart(20, "0"),
        timestamp: time * 1000,
        message: `${syslogDate(time)}${line.slice(15)}`,
      };
    });
    index = last;
    const event = encodeDelivery({
      owner: "123456789012",
      logGroup: "/ec2/auth.log",
      logStream: "i-bench",
      subscriptionFilters: [],
      logEvents,
    });
    const bytes = logEvents.reduce((sum, e) => sum + Buffer.byteLength(e.message), 0);
    batches.push({ event, lines: logEvents.length, bytes, arrival: minuteStart + 65 });
  }
  return batches;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
function syslogDate(epoch: number): string {
  const d = new Date(epoch * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Runs the cloud benchmarks; `workDir` receives generated files (removed afterwards). */
export async function benchCloud(workDir = join(process.cwd(), ".bench")): Promise<BenchRow[]> {
  const root = process.cwd();
  mkdirSync(workDir, { recursive: true });
  const deployment = loadCloudJails({
    jailFile: join(root, "cdk", "example", "jail.local"),
    filterConfigDir: join(root, "config"),
  });
  const rows: BenchRow[] = [];

  // Bundles, as the CDK app builds them.
  const bundleDir = join(root, "node_modules", ".cache", "cloudjail-bench");
  rmSync(bundleDir, { recursive: true, force: true });
  const bundles = await bundleLambdasLocally(root, bundleDir, deployment);
  rows.push(
    {
      name: "Lambda bundle, ingest (handler + filter worker)",
      value: Math.round((bundles.ingest.handlerBytes + bundles.ingest.workerBytes) / 1024),
      unit: "KiB",
      note: "minified ESM, AWS SDK bundled, split in chunks",
    },
    {
      name: "Lambda bundle, ingest, loaded at cold start",
      value: Math.round(bundles.ingest.startBytes / 1024),
      unit: "KiB",
      note: "index.mjs and the chunks it imports statically; WAF, EC2, SNS, CloudWatch Logs at their first call",
    },
    { name: "Lambda bundle, reconcile", value: Math.round(bundles.reconcile.handlerBytes / 1024), unit: "KiB" },
    { name: "Lambda bundle, admin", value: Math.round(bundles.admin.handlerBytes / 1024), unit: "KiB" },
  );

  // Cold start: a fresh Node process importing the bundled ingest handler (module-scope clients and runtime included).
  const env = {
    ...process.env,
    AWS_REGION: "us-east-1",
    [ENV.table]: "bench",
    [ENV.wafScope]: "REGIONAL",
    [ENV.wafIpv4]: "a|1|REGIONAL",
    [ENV.wafIpv6]: "b|2|REGIONAL",
    [ENV.label]: "bench",
  };
  const script = `const t=performance.now(); const m=await import(${JSON.stringify(pathToFileURL(join(bundles.ingest.dir, "index.mjs")).href)}); if (typeof m.handler!=="function") process.exit(3); process.stdout.write(String(performance.now()-t));`;
  const imports: number[] = [];
  for (let i = 0; i < 5; i++) {
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`cold-start import failed: ${run.stderr.slice(0, 300)}`);
    imports.push(Number(run.stdout));
  }
  rows.push({
    name: "Cold-start import of the ingest handler",
    value: Math.round(median(imports)),
    unit: "ms",
    note: "median of 5 fresh processes on this machine",
  });

  // The ingest handler on 1 MB deliveries.
  const local = await startDynamoDbLocal();
  try {
    const admin = local.client();
    await admin.send(new CreateTableCommand(dynamoDbTableDefinition("bench-cloud")));
    await admin.send(new UpdateTimeToLiveCommand(dynamoDbTimeToLive("bench-cloud")));
    const waf = new FakeWaf();
    const v4 = waf.createIpSet("v4", "REGIONAL", "IPV4");
    const v6 = waf.createIpSet("v6", "REGIONAL", "IPV6");
    const ec2 = new FakeEc2();
    ec2.createAcl("acl-0be0c0be0c0be0c0b");
    const sns = new FakeSns();
    const runtime = await createCloudRuntime(
      deployment,
      {
        tableName: "bench-cloud",
        waf: { scope: "REGIONAL", ipv4: v4, ipv6: v6 },
        nacl: { ids: ["acl-0be0c0be0c0be0c0b"], range: { first: 1, last: 90 }, limit: 20 },
        topicArn: sns.topicArn,
        label: "bench",
        announceUnbans: false,
      },
      { dynamodb: local.client(), wafv2: waf.client, ec2: ec2.client, sns: sns.client },
      {
        matcherFactory: (jail) => guardedLineMatcher(jail, join(root, "dist", "filter-worker.js")),
        sink: () => {},
        resolveName: async () => [],
      },
    );
    // A container handles delivery after delivery: the first starts the filter worker, the next few still run code
    // V8 has not optimised yet; the median of the warm ones is reported, each one in the note.
    const batches = deliveries(workDir, positiveFromEnv(process.env, "CLOUD_DELIVERIES", 8));
    const times: number[] = [];
    let failures = 0;
    // Requests outside the jail entries: the unban epoch (one read per delivery) and the NACL claims.
    let extraReads = 0;
    let extraWrites = 0;
    for (const [i, batch] of batches.entries()) {
      runtime.store.resetCounters();
      const epochReads = runtime.knownBans.epochReads;
      const claims = { ...(runtime.aclRegistry?.requests ?? { reads: 0, writes: 0 }) };
      const started = performance.now();
      const report = await ingestDelivery(batch.event, {
        runner: runtime.runner,
        store: runtime.store,
        routes: runtime.routes,
        enforce: runtime.enforce,
        announce: runtime.announce,
        knownBans: runtime.knownBans,
        metrics: runtime.metrics(),
        log: runtime.log,
        clock: () => batch.arrival,
      });
      // The first delivery starts the filter worker (a cold container); the others are warm.
      if (i > 0) times.push(performance.now() - started);
      failures += report.failures;
      extraReads =
        runtime.knownBans.epochReads - epochReads + (runtime.aclRegistry?.requests.reads ?? 0) - claims.reads;
      extraWrites = (runtime.aclRegistry?.requests.writes ?? 0) - claims.writes;
    }
    const warmMs = median(times);
    const counters = runtime.store.counters();
    const linesPerBatch = batches[1]!.lines;
    const scan = await admin.send(new ScanCommand({ TableName: "bench-cloud" }));
    const items = scan.Items ?? [];
    const averageItemBytes =
      items.reduce((sum, item) => sum + JSON.stringify(item).length, 0) / Math.max(1, items.length);
    admin.destroy();
    const writeUnitsPerWrite = Math.max(1, Math.ceil(averageItemBytes / 1024));
    rows.push({
      name: "Ingest handler, 1 MB delivery (warm)",
      value: Math.round(warmMs),
      unit: "ms",
      note: `median of ${times.length} warm deliveries (${times.map((t) => Math.round(t)).join(", ")} ms in turn); ${linesPerBatch} lines, ${Math.round(failures / batches.length)} failures per delivery, DynamoDB Local; last delivery: ${counters.reads + extraReads} reads, ${counters.writes + counters.conflicts + extraWrites} writes`,
    });

    // Cost per million lines, from the measured duration and store requests of the last delivery.
    const lambdaSeconds = ((warmMs / 1000) * LAMBDA_CPU_SCALE * 1e6) / linesPerBatch;
    const lambdaCost =
      lambdaSeconds * (INGEST_SETTINGS.memorySize / 1024) * PRICES.lambdaArmGbSecond +
      (1e6 / linesPerBatch) * PRICES.lambdaRequest;
    const writesPerMillion = ((counters.writes + counters.conflicts + extraWrites) * 1e6) / linesPerBatch;
    const readsPerMillion = ((counters.reads + extraReads) * 1e6) / linesPerBatch;
    const dynamoCost =
      writesPerMillion * writeUnitsPerWrite * PRICES.dynamoWriteUnit + readsPerMillion * PRICES.dynamoReadUnit;
    rows.push(
      {
        name: "Cost per million log lines, Lambda",
        value: lambdaCost.toFixed(4),
        unit: "USD",
        note: `arm64 512 MB at $${PRICES.lambdaArmGbSecond}/GB-s + $0.20/M requests; duration x${LAMBDA_CPU_SCALE.toFixed(2)} for 512 MB's share of a vCPU`,
      },
      {
        name: "Cost per million log lines, DynamoDB",
        value: dynamoCost.toFixed(4),
        unit: "USD",
        note: `${Math.round(writesPerMillion)} writes x ${writeUnitsPerWrite} WRU at $0.625/M, ${Math.round(readsPerMillion)} reads at $0.125/M (on-demand)`,
      },
      {
        name: "Cost per million log lines, total",
        value: (lambdaCost + dynamoCost).toFixed(4),
        unit: "USD",
        note: "us-east-1 list prices",
      },
    );
  } finally {
    await local.stop();
    rmSync(bundleDir, { recursive: true, force: true });
  }
  return rows;
}

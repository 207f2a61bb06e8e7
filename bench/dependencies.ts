// Our own pieces next to the well-kept libraries that could replace them (see docs/dependencies.md): for each pair,
// the minified bundle a Lambda would carry (esbuild, as the CDK bundling does) and the time a fresh Node process takes
// to import and use it once (the cold-start share). Pairs run interleaved, so machine noise hits both sides alike.
import { spawnSync } from "node:child_process";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { LAMBDA_BANNER, LAMBDA_TARGET } from "../cdk/lambda-bundling.js";
import type { BenchRow } from "./bench-row.js";

/** One side of a comparison: a module that imports the piece and uses it once, so nothing is tree-shaken away. */
interface Side {
  readonly label: string;
  readonly source: string;
}

interface Pair {
  readonly piece: string;
  readonly ours: Side;
  readonly library: Side;
}

const root = process.cwd();
const pairs: readonly Pair[] = [
  {
    piece: "structured log line",
    ours: {
      label: "cloud/runtime/lambda-log.ts",
      source: `import { LambdaLog } from "../../cloud/runtime/lambda-log.ts";
const log = new LambdaLog("cloudjail", () => {});
log.begin({ functionName: "f", awsRequestId: "r", invokedFunctionArn: "a", memoryLimitInMB: "128" });
log.write("info", "ban 192.0.2.1 in sshd", { jail: "sshd" });`,
    },
    library: {
      label: "@aws-lambda-powertools/logger",
      source: `import { Logger } from "@aws-lambda-powertools/logger";
const logger = new Logger({ serviceName: "cloudjail" });
logger.addContext({ functionName: "f", awsRequestId: "r", invokedFunctionArn: "a", memoryLimitInMB: "128" });
logger.info("ban 192.0.2.1 in sshd", { jail: "sshd" });`,
    },
  },
  {
    piece: "EMF metrics",
    ours: {
      label: "cloud/metrics/embedded-metrics.ts",
      source: `import { EmbeddedMetrics } from "../../cloud/metrics/embedded-metrics.ts";
const metrics = new EmbeddedMetrics("Cloudjail", { Stack: "s", service: "cloudjail" }, () => {});
metrics.add("Bans", 1, { Jail: "sshd" });
metrics.flush();`,
    },
    library: {
      label: "@aws-lambda-powertools/metrics",
      source: `import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
const metrics = new Metrics({ namespace: "Cloudjail", serviceName: "cloudjail", defaultDimensions: { Stack: "s" } });
metrics.addDimension("Jail", "sshd");
metrics.addMetric("Bans", MetricUnit.Count, 1);
metrics.publishStoredMetrics();`,
    },
  },
  {
    piece: "subscription payload",
    ours: {
      label: "cloud/logs/subscription-payload.ts",
      source: `import { decodeDelivery } from "../../cloud/logs/subscription-payload.ts";
try { decodeDelivery({ awslogs: { data: "" } }); } catch {}`,
    },
    library: {
      label: "@aws-lambda-powertools/parser",
      source: `import { parse } from "@aws-lambda-powertools/parser";
import { CloudWatchLogsSchema } from "@aws-lambda-powertools/parser/schemas/cloudwatch";
try { parse({ awslogs: { data: "" } }, undefined, CloudWatchLogsSchema); } catch {}`,
    },
  },
  {
    piece: "address parsing",
    ours: {
      label: "shared/net/ip.ts",
      source: `import { networkContains, parseIp, parseNetwork } from "../../shared/net/ip.ts";
networkContains(parseNetwork("192.0.2.0/24"), parseIp("::ffff:192.0.2.7"));`,
    },
    library: {
      label: "ipaddr.js",
      source: `import ipaddr from "ipaddr.js";
ipaddr.process("::ffff:192.0.2.7").match(ipaddr.parseCIDR("192.0.2.0/24"));`,
    },
  },
  {
    piece: "logpath glob",
    ours: {
      label: "host/sources/glob.ts",
      source: `import { globMatches } from "../../host/sources/glob.ts";
globMatches("/var/log/nginx/*access*.log", "/var/log/nginx/site-access.log");`,
    },
    library: {
      label: "picomatch",
      source: `import picomatch from "picomatch";
picomatch("/var/log/nginx/*access*.log")("/var/log/nginx/site-access.log");`,
    },
  },
  {
    piece: "retry with jitter",
    ours: {
      label: "cloud/targets/retry.ts",
      source: `import { withRetry } from "../../cloud/targets/retry.ts";
await withRetry(async () => 1, () => false);`,
    },
    library: {
      label: "@smithy/core/retry (the SDK's)",
      source: `import { ConfiguredRetryStrategy } from "@smithy/core/retry";
const strategy = new ConfiguredRetryStrategy(5, (attempt) => 250 * 2 ** attempt);
await strategy.acquireInitialRetryToken("waf");`,
    },
  },
];

const RUNS = Number(process.env.BENCH_DEPENDENCY_RUNS ?? 15);

/** Milliseconds a fresh Node takes to import `file` (its top level included), measured inside that process. */
function importMs(file: string): number {
  // the time goes after a marker: the libraries under test write their own lines to stdout
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write("\\n@import-ms=" + (performance.now() - t));`;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  const ms = result.stdout.match(/@import-ms=([\d.]+)$/)?.[1];
  if (result.status !== 0 || ms === undefined) {
    throw new Error(`importing ${file} failed (${result.status}): ${result.stderr.slice(0, 500)}`);
  }
  return Number(ms);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function bundle(dir: string, name: string, source: string): Promise<string> {
  const entry = join(dir, `${name}.ts`);
  const outfile = join(dir, `${name}.mjs`);
  writeFileSync(entry, `${source}\n`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: LAMBDA_TARGET,
    minify: true,
    logLevel: "warning",
    mainFields: ["module", "main"],
    banner: { js: LAMBDA_BANNER },
  });
  return outfile;
}

/** Bundle size and import time of every pair; `workDir` must lie inside the project (modules resolve from it). */
export async function benchDependencies(workDir: string): Promise<BenchRow[]> {
  const dir = join(workDir, "dependencies");
  mkdirSync(dir, { recursive: true });
  const rows: BenchRow[] = [];
  const empty = await bundle(dir, "empty", "export {};");
  for (const [index, pair] of pairs.entries()) {
    const files = {
      ours: await bundle(dir, `${index}-ours`, pair.ours.source),
      library: await bundle(dir, `${index}-library`, pair.library.source),
    };
    const times = { ours: [] as number[], library: [] as number[], empty: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      times.ours.push(importMs(files.ours));
      times.library.push(importMs(files.library));
      times.empty.push(importMs(empty));
    }
    // raw medians: subtracting a baseline measured in other processes gives negative figures on a busy machine
    const baseline = median(times.empty).toFixed(2);
    for (const side of ["ours", "library"] as const) {
      const label = pair[side].label;
      rows.push({
        name: `${pair.piece}: ${label} bundle`,
        value: statSync(files[side]).size,
        unit: "bytes",
        note: "minified ESM, as the Lambdas are bundled",
      });
      rows.push({
        name: `${pair.piece}: ${label} import`,
        value: Number(median(times[side]).toFixed(2)),
        unit: "ms",
        note: `median of ${RUNS} fresh processes; an empty module, interleaved: ${baseline} ms`,
      });
    }
  }
  return rows;
}

// Run on its own only: bundled into .bench/bench.mjs, import.meta.url is the bundle's, which is also argv[1].
const script = process.argv[1] ?? "";
if (/dependencies\.[cm]?[jt]s$/.test(script) && import.meta.url === pathToFileURL(script).href) {
  for (const row of await benchDependencies(join(root, ".bench"))) process.stdout.write(`${JSON.stringify(row)}\n`);
}

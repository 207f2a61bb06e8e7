// Wires the cloud side together from settings, the deployed jails and AWS clients: the store, the jail runner, the
// ban targets, alerts and metrics. Each Lambda builds one runtime per container (at module scope, so connections and
// compiled filters are reused) and tests build theirs with DynamoDB Local and fake AWS APIs.
import { lookup } from "node:dns/promises";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { WAFV2Client } from "@aws-sdk/client-wafv2";
import { resolveIgnoreNames } from "../../shared/jail/ignore-list.js";
import { type ActiveBan, JailRunner } from "../../shared/jail/jail-runner.js";
import type { Store } from "../../shared/store/store.js";
import { AlertOutbox, type QueuedAlert } from "../alerts/alert-outbox.js";
import { type AlertLimits, type BanAlert, formatBanMessage } from "../alerts/ban-alert.js";
import { formatDigest, planAlertMessages } from "../alerts/ban-digest.js";
import { type Notifier, SnsNotifier } from "../alerts/sns-notifier.js";
import {
  type DeployedJail,
  type DeploymentConfig,
  ignoreIpNames,
  jailPolicyOf,
  jailsByLogGroup,
} from "../deployment/deployment-config.js";
import { addBans, type EnforcementReport, enforceBans, removeBans } from "../enforcement/enforce-bans.js";
import { storeBanLookup } from "../enforcement/store-ban-lookup.js";
import type { IngestJail, IngestLog } from "../ingest/ingest-delivery.js";
import { KnownBans, type UnbanEpoch } from "../ingest/known-bans.js";
import type { LineMatcher } from "../ingest/line-matcher.js";
import { EmbeddedMetrics, type LineSink } from "../metrics/embedded-metrics.js";
import { dynamoDbStore } from "../store/sdk-document-table.js";
import { dynamoDbUnbanEpoch } from "../store/unban-epoch-item.js";
import { type AclRuleRegistry, dynamoDbAclRuleRegistry } from "../targets/acl-rule-registry.js";
import type { BanTarget } from "../targets/ban-target.js";
import { NetworkAclTarget } from "../targets/network-acl-target.js";
import type { RetryPolicy } from "../targets/retry.js";
import { WafIpSetTarget } from "../targets/waf-ip-set-target.js";
import { type InvocationContext, LambdaLog } from "./lambda-log.js";
import { METRICS_NAMESPACE, metricDimensions, type RuntimeSettings, SERVICE_NAME } from "./runtime-settings.js";

/** The AWS clients of a runtime (created once per container by the Lambda shells). */
export interface CloudClients {
  readonly dynamodb: DynamoDBClient;
  /** The client, or a factory called at the first IP set call (keeps the WAF SDK out of the cold start). */
  readonly wafv2?: WAFV2Client | (() => Promise<WAFV2Client>);
  /** The client, or a factory called at the first network ACL call (keeps the EC2 SDK out of the cold start). */
  readonly ec2?: EC2Client | (() => Promise<EC2Client>);
  /** The client, or a factory called at the first alert. */
  readonly sns?: SNSClient | (() => Promise<SNSClient>);
}

/** Knobs for tests and benchmarks. */
export interface CloudRuntimeOptions {
  /** Builds a jail's line matcher (the filter engine). */
  readonly matcherFactory: (jail: DeployedJail) => LineMatcher;
  /** Resolves ignoreip host names. @default DNS lookup of every address */
  readonly resolveName?: (name: string) => Promise<readonly string[]>;
  /** Backoff of target writes (tests pass an instant one). */
  readonly retry?: RetryPolicy;
  /** Where metric lines and logs go. @default stdout */
  readonly sink?: LineSink;
  /** Epoch seconds. @default the system clock */
  readonly clock?: () => number;
  /** Random source of the jail logic (bantime.rndtime). */
  readonly random?: () => number;
  readonly alertLimits?: AlertLimits;
  /** The store, instead of the table's own (tests pass one whose active-bans index lags, as DynamoDB's may). */
  readonly store?: Store;
}

/** Everything a handler needs. */
export interface CloudRuntime {
  readonly deployment: DeploymentConfig;
  readonly settings: RuntimeSettings;
  readonly store: Store;
  readonly runner: JailRunner;
  readonly targets: readonly BanTarget[];
  readonly routes: ReadonlyMap<string, readonly IngestJail[]>;
  /** The container's memory of bans in force (ingest skips the failures of banned addresses). */
  readonly knownBans: KnownBans;
  /** Where the NACL entries cloudjail created are recorded (when a NACL is configured). */
  readonly aclRegistry?: AclRuleRegistry;
  /** Bumped by every admin unban before it lifts a ban, so that every container's memory forgets. */
  readonly unbanEpoch: UnbanEpoch;
  readonly notifier?: Notifier;
  readonly clock: () => number;
  readonly log: IngestLog;
  /** Starts an invocation: its request id and cold start flag go on every log line until the next one. */
  beginInvocation(context: InvocationContext | undefined): void;
  /** A fresh metrics collector for one invocation. */
  metrics(): EmbeddedMetrics;
  /** Adds new bans to every target at once (never removes anything: another writer's fresh ban is safe). */
  enforce(bans: readonly { readonly ip: string; readonly time: number }[]): Promise<EnforcementReport>;
  /** Takes `ips` out of every target, each only if the store (read consistently at `now`) has no ban in force. */
  withdraw(ips: readonly string[], now: number): Promise<EnforcementReport>;
  /**
   * The scheduled sync: every target made equal to the bans active at `now`, each difference confirmed by a
   * consistent read of the store. Returns the active bans the sync started from, with its report.
   */
  syncTargets(now: number): Promise<{ readonly active: readonly ActiveBan[]; readonly report: EnforcementReport }>;
  /**
   * Sends alerts for new bans: the first of the minute (across all invocations) at once, as one message or digest;
   * later ones of that minute go to the outbox for the reconcile run's digest.
   */
  announce(alerts: readonly BanAlert[]): Promise<void>;
  /** Sends the outbox's digests of the minutes that ended before `now`; returns the number of alerts sent. */
  flushAlerts(now: number): Promise<number>;
}

async function dnsAddresses(name: string): Promise<readonly string[]> {
  return (await lookup(name, { all: true })).map((entry) => entry.address);
}

/** Builds the runtime; resolves ignoreip host names once. */
export async function createCloudRuntime(
  deployment: DeploymentConfig,
  settings: RuntimeSettings,
  clients: CloudClients,
  options: CloudRuntimeOptions,
): Promise<CloudRuntime> {
  const names = ignoreIpNames(deployment);
  const resolved = names.length ? await resolveIgnoreNames(names, options.resolveName ?? dnsAddresses) : undefined;
  const store = options.store ?? dynamoDbStore(clients.dynamodb, settings.tableName);
  const runner = new JailRunner({
    store,
    jails: deployment.jails.map((jail) => jailPolicyOf(jail, resolved)),
    ...(options.random ? { random: options.random } : {}),
  });
  const targets: BanTarget[] = [];
  const aclRegistry = settings.nacl ? dynamoDbAclRuleRegistry(clients.dynamodb, settings.tableName) : undefined;
  if (settings.waf) {
    if (!clients.wafv2) throw new Error("WAF IP sets are configured but no WAFV2 client was given");
    targets.push(
      new WafIpSetTarget({
        client: clients.wafv2,
        ...settings.waf,
        ...(options.retry ? { retry: options.retry } : {}),
      }),
    );
  }
  if (settings.nacl) {
    if (!clients.ec2) throw new Error("network ACLs are configured but no EC2 client was given");
    targets.push(
      new NetworkAclTarget({
        client: clients.ec2,
        registry: aclRegistry!,
        ...(options.clock ? { clock: options.clock } : {}),
        networkAclIds: settings.nacl.ids,
        ruleRange: settings.nacl.range,
        ruleLimit: settings.nacl.limit,
        ...(options.retry ? { retry: options.retry } : {}),
      }),
    );
  }
  const routes = new Map(
    [...jailsByLogGroup(deployment)].map(([group, jails]) => [
      group,
      jails.map((jail) => ({ jail, matcher: options.matcherFactory(jail) })),
    ]),
  );
  const unbanEpoch = dynamoDbUnbanEpoch(clients.dynamodb, settings.tableName);
  const notifier = settings.topicArn && clients.sns ? new SnsNotifier(clients.sns, settings.topicArn) : undefined;
  const outbox = settings.alertTable ? new AlertOutbox(clients.dynamodb, settings.alertTable) : undefined;
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  const lambdaLog = new LambdaLog(SERVICE_NAME, sink);
  return {
    deployment,
    settings,
    store,
    runner,
    targets,
    routes,
    knownBans: new KnownBans(unbanEpoch),
    ...(aclRegistry ? { aclRegistry } : {}),
    unbanEpoch,
    ...(notifier ? { notifier } : {}),
    clock,
    log: lambdaLog.write,
    beginInvocation: (context) => lambdaLog.begin(context),
    metrics: () => new EmbeddedMetrics(METRICS_NAMESPACE, metricDimensions(settings.label), sink, () => clock() * 1000),
    enforce: (bans) => addBans(targets, bans),
    withdraw: (ips, now) => removeBans(targets, ips, storeBanLookup(store, now)),
    syncTargets: async (now) => {
      const active = await runner.activeBans(now);
      return { active, report: await enforceBans(targets, active, storeBanLookup(store, now, active)) };
    },
    announce: async (alerts) => {
      if (!notifier) return;
      if (outbox && !(await outbox.claimMinute(clock()))) {
        await outbox.enqueue(clock(), alerts);
        return;
      }
      for (const message of planAlertMessages(alerts, settings.label, options.alertLimits)) {
        await notifier.publish(message);
      }
    },
    flushAlerts: async (now) => {
      if (!outbox || !notifier) return 0;
      const due = await outbox.due(now);
      const byMinute = new Map<string, QueuedAlert[]>();
      for (const queued of due) {
        const minute = queued.key.slice(0, queued.key.indexOf("#"));
        const group = byMinute.get(minute);
        if (group) group.push(queued);
        else byMinute.set(minute, [queued]);
      }
      for (const group of byMinute.values()) {
        const alerts = group.map((queued) => queued.alert);
        const message =
          alerts.length === 1
            ? formatBanMessage(alerts[0]!, settings.label, options.alertLimits)
            : formatDigest(alerts, settings.label, options.alertLimits);
        await notifier.publish(message);
        await outbox.remove(group.map((queued) => queued.key));
      }
      return due.length;
    },
  };
}

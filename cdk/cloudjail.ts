// The reusable construct: everything cloud mode needs in one stack, wired with least privilege. No business logic
// here: the jails arrive resolved and validated (loadCloudJails), the functions do the work.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Annotations, Arn, ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Token } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as eventsTargets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as logsDestinations from "aws-cdk-lib/aws-logs-destinations";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as snsSubscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as wafv2 from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";
import { ADMIN_FUNCTION_OUTPUT, INGEST_FUNCTION_OUTPUT } from "../cloud/admin/admin-response.js";
import { type DeploymentConfig, jailsByLogGroup } from "../cloud/deployment/deployment-config.js";
import { FAILED_DELIVERIES_OUTPUT } from "../cloud/ingest/failed-delivery-record.js";
import { ENV } from "../cloud/runtime/runtime-settings.js";
import { NACL_DEFAULT_RULE_LIMIT, type RuleRange, ruleRangeProblem } from "../cloud/targets/network-acl-plan.js";
import { parseBanTargetSpec } from "../cloud/targets/target-spec.js";
import { createAlertTopic } from "./alert-topic.js";
import { FailedDeliveries } from "./failed-deliveries.js";
import { FUNCTION_PERMISSIONS, LOG_HISTORY_ACTIONS } from "./function-permissions.js";
import { grantFunctionPermissions } from "./function-roles.js";
import {
  ADMIN_SETTINGS,
  combinedFilterPattern,
  DEFAULT_NACL_RULE_RANGE,
  type FunctionSettings,
  INGEST_SETTINGS,
  RECONCILE_SETTINGS,
} from "./function-settings.js";
import {
  FILTER_WORKER_ENTRY,
  handlerBuildCommand,
  LAMBDA_BANNER,
  LAMBDA_EXTERNALS,
  LAMBDA_TARGET,
} from "./lambda-bundling.js";
import { CloudjailMonitoring } from "./monitoring.js";
import { cloudjailProjectRoot } from "./project-root.js";

/** Properties of {@link Cloudjail}. */
export interface CloudjailProps {
  /** The jails, resolved and validated from a jail.local-format file by `loadCloudJails`. */
  readonly deployment: DeploymentConfig;
  /**
   * Scope of the WAF IP sets: REGIONAL (ALB, API Gateway, AppSync, Cognito, App Runner, Verified Access) or
   * CLOUDFRONT (the stack must then be deployed in us-east-1).
   * @default "REGIONAL"
   */
  readonly wafScope?: "REGIONAL" | "CLOUDFRONT";
  /**
   * Resources to protect with a WebACL created here (default action allow, cloudjail's rule group first). Leave
   * empty when the resources already have a WebACL: add the output rule group to it instead.
   * @default - no WebACL; the IP sets and rule group are created for use in your own WebACL
   */
  readonly protectedResourceArns?: readonly string[];
  /**
   * Network ACLs (`acl-...`) of the protected subnets, which get ingress deny entries. Security groups cannot deny
   * and are refused.
   * @default - no network ACL target
   */
  readonly networkAclIds?: readonly string[];
  /** Ingress rule numbers reserved for bans, ahead of the allow rules. @default 1-90 */
  readonly networkAclRuleRange?: RuleRange;
  /** Rules per direction and IP family the account allows in a network ACL (quota 20, at most 40). @default 20 */
  readonly networkAclRuleLimit?: number;
  /** Email addresses subscribed to ban alerts (each must confirm the subscription). @default - none */
  readonly alertEmails?: readonly string[];
  /** Also send an alert when a ban ends. @default false */
  readonly announceUnbans?: boolean;
  /** Name used in alerts and metrics. @default the stack name */
  readonly label?: string;
  /** How long the functions' logs are kept. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Ingest reserved concurrency, to bound WAF write contention in large fleets. Every reservation must leave the
   * account 10 unreserved executions: on an account whose concurrency quota is 10, none can be reserved.
   * @default - unreserved (deploys on any account)
   */
  readonly ingestReservedConcurrency?: number;
  /**
   * Reconcile reserved concurrency. Overlapping runs are already serialized by a lease in the table, so this only
   * guarantees the run a slot when the account's pool is exhausted.
   * @default - unreserved (deploys on any account)
   */
  readonly reconcileReservedConcurrency?: number;
}

/** The cloud mode of cloudjail: store, functions, subscriptions, WAF IP sets, network ACL access, alerts, monitoring. */
export class Cloudjail extends Construct {
  readonly table: dynamodb.Table;
  readonly alertOutbox: dynamodb.Table;
  readonly topic: sns.Topic;
  /** The customer managed key of the topic (CloudWatch alarms may use it). */
  readonly topicKey: kms.Key;
  /** Deliveries the ingest function failed, kept for `cloudjail cloud replay-failed`. */
  readonly failedDeliveries: FailedDeliveries;
  readonly ipv4Set: wafv2.CfnIPSet;
  readonly ipv6Set: wafv2.CfnIPSet;
  readonly ruleGroup: wafv2.CfnRuleGroup;
  readonly webAcl?: wafv2.CfnWebACL;
  readonly ingestFunction: nodejs.NodejsFunction;
  /** The log groups the jails read (subscribed, and readable by the ingest function for backfills). */
  readonly logGroupNames: readonly string[];
  readonly reconcileFunction: nodejs.NodejsFunction;
  readonly adminFunction: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: CloudjailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const wafScope = props.wafScope ?? "REGIONAL";
    const label = props.label ?? stack.stackName;
    const naclIds = validateNetworkAcls(props);
    const ruleRange = props.networkAclRuleRange ?? DEFAULT_NACL_RULE_RANGE;
    const ruleLimit = props.networkAclRuleLimit ?? NACL_DEFAULT_RULE_LIMIT;
    if (wafScope === "CLOUDFRONT" && !Token.isUnresolved(stack.region) && stack.region !== "us-east-1") {
      throw new Error(
        `wafScope CLOUDFRONT needs the stack in us-east-1 (WAF's global scope lives there), not ${stack.region}`,
      );
    }
    if (props.deployment.jails.length === 0)
      throw new Error("deployment has no jails: enable at least one in jail.local");

    // Store: DynamoDB is the source of truth. TTL is garbage collection only; PITR protects the ban history.
    this.table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: "exp",
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: "active-bans",
      partitionKey: { name: "banPk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "banUntil", type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    // Alert outbox: the bans of a busy minute wait here for the reconcile run's digest (see cloud/alerts/alert-outbox.ts).
    this.alertOutbox = new dynamodb.Table(this, "AlertOutbox", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: "exp",
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Alerts: encrypted with a key of our own that CloudWatch alarms may use (see alert-topic.ts), TLS only.
    ({ topic: this.topic, key: this.topicKey } = createAlertTopic(this, `cloudjail ${label}`));
    for (const email of props.alertEmails ?? []) {
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new Error(`alertEmails: "${email}" is not an email address`);
      this.topic.addSubscription(new snsSubscriptions.EmailSubscription(email));
    }

    // WAF: one IP set per family, written only by the functions. CloudFormation sends the whole set, `Addresses: []`
    // included, whenever it updates one: every property is therefore fixed (no label, no tags), so that a stack
    // update never updates an IP set in place. A change of scope replaces it by a new, empty set, which the next
    // reconcile run (within a minute) fills.
    const ipSet = (name: string, version: "IPV4" | "IPV6") => {
      const set = new wafv2.CfnIPSet(this, name, {
        scope: wafScope,
        ipAddressVersion: version,
        addresses: [],
        description: `cloudjail: banned ${version} addresses, managed by the cloudjail functions`,
      });
      // tags given to the whole app (Tags.of(app).add) would otherwise reach the set and empty it on update
      set.addPropertyDeletionOverride("Tags");
      return set;
    };
    this.ipv4Set = ipSet("BannedIpv4", "IPV4");
    this.ipv6Set = ipSet("BannedIpv6", "IPV6");
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const blockRule = (name: string, priority: number, set: wafv2.CfnIPSet) => ({
      name,
      priority,
      action: { block: {} },
      statement: { ipSetReferenceStatement: { arn: set.attrArn } },
      visibilityConfig: visibility(`cloudjail-${name}`),
    });
    this.ruleGroup = new wafv2.CfnRuleGroup(this, "BlockRuleGroup", {
      scope: wafScope,
      capacity: 2,
      rules: [blockRule("banned-ipv4", 0, this.ipv4Set), blockRule("banned-ipv6", 1, this.ipv6Set)],
      visibilityConfig: visibility("cloudjail-rule-group"),
    });
    if (props.protectedResourceArns?.length) {
      if (wafScope === "CLOUDFRONT") {
        throw new Error(
          "protectedResourceArns is for REGIONAL resources; attach a CLOUDFRONT WebACL in the distribution instead",
        );
      }
      this.webAcl = new wafv2.CfnWebACL(this, "WebAcl", {
        scope: wafScope,
        defaultAction: { allow: {} },
        rules: [
          {
            name: "cloudjail",
            priority: 0,
            overrideAction: { none: {} },
            statement: { ruleGroupReferenceStatement: { arn: this.ruleGroup.attrArn } },
            visibilityConfig: visibility("cloudjail-webacl-rule"),
          },
        ],
        visibilityConfig: visibility("cloudjail-webacl"),
      });
      props.protectedResourceArns.forEach((resourceArn, index) => {
        new wafv2.CfnWebACLAssociation(this, `WebAclAssociation${index}`, {
          resourceArn,
          webAclArn: this.webAcl!.attrArn,
        });
      });
    }

    // The deployment JSON travels inside each bundle (see lambdas/deployment-file.ts).
    const deploymentDir = mkdtempSync(join(tmpdir(), "cloudjail-deployment-"));
    const deploymentFile = join(deploymentDir, "deployment.json");
    writeFileSync(deploymentFile, JSON.stringify(props.deployment));
    const environment: Record<string, string> = {
      [ENV.table]: this.table.tableName,
      [ENV.wafScope]: wafScope,
      [ENV.wafIpv4]: this.ipv4Set.ref,
      [ENV.wafIpv6]: this.ipv6Set.ref,
      [ENV.topicArn]: this.topic.topicArn,
      [ENV.alertTable]: this.alertOutbox.tableName,
      [ENV.label]: label,
      [ENV.announceUnbans]: String(props.announceUnbans ?? false),
      ...(naclIds.length
        ? {
            [ENV.naclIds]: naclIds.join(","),
            [ENV.naclRules]: `${ruleRange.first}-${ruleRange.last}`,
            [ENV.naclLimit]: String(ruleLimit),
          }
        : {}),
    };
    const root = cloudjailProjectRoot();
    // The ingest function's filters run in a worker thread (the ReDoS guard): its script is bundled beside the handler.
    const esbuild = join(root, "node_modules", ".bin", "esbuild");
    const workerEntry = join(root, FILTER_WORKER_ENTRY);
    const makeFunction = (
      name: string,
      entry: string,
      settings: FunctionSettings,
      description: string,
      functionEnvironment: Record<string, string>,
      withFilterWorker = false,
    ) => {
      const logGroup = new logs.LogGroup(this, `${name}Logs`, {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // Own role: log writing granted on this log group only, instead of the AWSLambdaBasicExecutionRole managed policy.
      const role = new iam.Role(this, `${name}Role`, {
        assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
        description: `cloudjail ${name} function`,
      });
      logGroup.grantWrite(role);
      return new nodejs.NodejsFunction(this, name, {
        entry: join(root, "lambdas", entry),
        projectRoot: root,
        depsLockFilePath: join(root, "package-lock.json"),
        description,
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: settings.memorySize,
        timeout: settings.timeout,
        ...(settings.reservedConcurrency !== undefined
          ? { reservedConcurrentExecutions: settings.reservedConcurrency }
          : {}),
        role,
        logGroup,
        environment: functionEnvironment,
        bundling: {
          format: nodejs.OutputFormat.ESM,
          target: LAMBDA_TARGET,
          minify: true,
          // no source maps: 5 MB each, and useless without --enable-source-maps, which slows every cold start
          sourceMap: false,
          mainFields: ["module", "main"],
          banner: LAMBDA_BANNER,
          externalModules: [...LAMBDA_EXTERNALS],
          bundleAwsSDK: true,
          forceDockerBundling: false,
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (_input: string, output: string) => [
              // the handler again, split (see handlerBuildCommand): its index.mjs replaces the one-file build
              handlerBuildCommand(esbuild, join(root, "lambdas", entry), output),
              `cp "${deploymentFile}" "${output}/deployment.json"`,
              ...(withFilterWorker
                ? [
                    `"${esbuild}" "${workerEntry}" --bundle --platform=node --format=esm --target=${LAMBDA_TARGET} --minify --log-level=warning --outfile="${output}/filter-worker.mjs"`,
                  ]
                : []),
            ],
          },
        },
      });
    };
    this.ingestFunction = makeFunction(
      "Ingest",
      "ingest.ts",
      {
        ...INGEST_SETTINGS,
        ...(props.ingestReservedConcurrency ? { reservedConcurrency: props.ingestReservedConcurrency } : {}),
      },
      "cloudjail: runs the jails on CloudWatch Logs subscription deliveries",
      environment,
      true,
    );
    this.reconcileFunction = makeFunction(
      "Reconcile",
      "reconcile.ts",
      {
        ...RECONCILE_SETTINGS,
        ...(props.reconcileReservedConcurrency ? { reservedConcurrency: props.reconcileReservedConcurrency } : {}),
      },
      "cloudjail: expires bans and re-syncs WAF and network ACLs every minute",
      environment,
    );
    // The admin function sends no alert: neither the topic nor the outbox is named in its environment.
    const { [ENV.topicArn]: _topic, [ENV.alertTable]: _outbox, ...adminEnvironment } = environment;
    this.adminFunction = makeFunction(
      "Admin",
      "admin.ts",
      ADMIN_SETTINGS,
      "cloudjail: status, ban and unban",
      adminEnvironment,
    );
    warnAboutReservations(this, props);
    // Subscription deliveries are asynchronous: two retries, no event older than an hour is worth running, and what
    // still fails is kept in the failed-deliveries queue for `cloudjail cloud replay-failed`.
    this.failedDeliveries = new FailedDeliveries(this, "FailedDeliveries", { ingestFunction: this.ingestFunction });
    this.reconcileFunction.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(2) });

    // Least privilege: each function gets exactly the actions its code calls (function-permissions.ts), on the named
    // resources.
    const naclArns = naclIds.map((aclId) =>
      Arn.format(
        { service: "ec2", resource: "network-acl", resourceName: aclId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME },
        stack,
      ),
    );
    const roles = { ingest: this.ingestFunction, reconcile: this.reconcileFunction, admin: this.adminFunction };
    for (const [name, fn] of Object.entries(roles)) {
      grantFunctionPermissions(fn, FUNCTION_PERMISSIONS[name as keyof typeof roles], {
        table: this.table,
        alertOutbox: this.alertOutbox,
        topic: this.topic,
        topicKey: this.topicKey,
        ipSetArns: [this.ipv4Set.attrArn, this.ipv6Set.attrArn],
        naclArns,
      });
    }

    // Backfill (`cloudjail cloud backfill`): the ingest function reads the jails' log groups' recent history and
    // when its subscriptions started; on those log groups only.
    this.logGroupNames = [...jailsByLogGroup(props.deployment).keys()];
    const logGroupArns = this.logGroupNames.map((logGroupName) =>
      // the log group ARN form with ":*" is the one IAM policies use for these actions
      Arn.format(
        {
          service: "logs",
          resource: "log-group",
          resourceName: `${logGroupName}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        stack,
      ),
    );
    if (logGroupArns.length > 0) {
      // its own policy, so that the acknowledgement of the log group ARNs' ":*" covers this statement alone
      const history = new iam.Policy(this, "IngestLogHistory", {
        roles: [this.ingestFunction.role!],
        statements: [new iam.PolicyStatement({ actions: [...LOG_HISTORY_ACTIONS], resources: logGroupArns })],
      });
      this.ingestFunction.node.addDependency(history);
    }

    // One subscription filter per log group (CloudWatch Logs allows two per group), pattern from the jails.
    const destination = new logsDestinations.LambdaDestination(this.ingestFunction);
    let index = 0;
    for (const [logGroupName, jails] of jailsByLogGroup(props.deployment)) {
      const pattern = combinedFilterPattern(jails.map((jail) => jail.filterPattern));
      if (pattern === "" && jails.some((jail) => jail.filterPattern !== "")) {
        Annotations.of(this).addWarningV2(
          "cloudjail:filterPattern",
          `log group ${logGroupName}: the jails' filterpattern values cannot be combined; every event is delivered`,
        );
      }
      new logs.SubscriptionFilter(this, `Subscription${index++}`, {
        logGroup: logs.LogGroup.fromLogGroupName(this, `LogGroup${index}`, logGroupName),
        destination,
        filterPattern: pattern === "" ? logs.FilterPattern.allEvents() : logs.FilterPattern.literal(pattern),
      });
    }

    // Every minute: expire bans, repair drift, retry failed target updates.
    new events.Rule(this, "ReconcileSchedule", {
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new eventsTargets.LambdaFunction(this.reconcileFunction, { retryAttempts: 0 })],
      description: "cloudjail: reconcile bans every minute",
    });

    new CloudjailMonitoring(this, "Monitoring", {
      label,
      jails: props.deployment.jails.map((jail) => jail.name),
      functions: { ingest: this.ingestFunction, reconcile: this.reconcileFunction, admin: this.adminFunction },
      alarmTopic: this.topic,
      failedDeliveries: this.failedDeliveries.queue,
      networkAcls: naclIds.length > 0,
    });

    const output = (name: string, value: string, description: string) => {
      new CfnOutput(this, name, { value, description }).overrideLogicalId(name);
    };
    output(ADMIN_FUNCTION_OUTPUT, this.adminFunction.functionName, "Admin function, used by `cloudjail cloud`");
    output(INGEST_FUNCTION_OUTPUT, this.ingestFunction.functionName, "Ingest function, `cloudjail cloud backfill`");
    output("CloudjailIpv4SetArn", this.ipv4Set.attrArn, "WAF IP set of banned IPv4 addresses");
    output("CloudjailIpv6SetArn", this.ipv6Set.attrArn, "WAF IP set of banned IPv6 addresses");
    output("CloudjailRuleGroupArn", this.ruleGroup.attrArn, "WAF rule group blocking banned addresses");
    output("CloudjailTableName", this.table.tableName, "DynamoDB table of jails and bans");
    output("CloudjailAlertTopicArn", this.topic.topicArn, "SNS topic of ban alerts");
    output(
      FAILED_DELIVERIES_OUTPUT,
      this.failedDeliveries.queue.queueUrl,
      "Deliveries the ingest function failed, `cloudjail cloud replay-failed`",
    );
    if (this.webAcl) output("CloudjailWebAclArn", this.webAcl.attrArn, "WebACL protecting the given resources");
  }
}

function validateNetworkAcls(props: CloudjailProps): string[] {
  const ids = (props.networkAclIds ?? []).map((id) => {
    const spec = parseBanTargetSpec(id, { option: "networkAclIds" });
    if (spec.kind !== "network-acl") throw new Error(`networkAclIds: "${id}" is not a network ACL id (acl-...)`);
    return spec.networkAclId;
  });
  if (ids.length > 0) {
    const problem = ruleRangeProblem(
      props.networkAclRuleRange ?? DEFAULT_NACL_RULE_RANGE,
      props.networkAclRuleLimit ?? NACL_DEFAULT_RULE_LIMIT,
    );
    if (problem) throw new Error(`networkAclRuleRange / networkAclRuleLimit: ${problem}`);
  }
  return [...new Set(ids)];
}

/** Reserved concurrency can make a deployment fail on a small account: say so at synth, with the number needed. */
function warnAboutReservations(scope: Construct, props: CloudjailProps): void {
  const reserved = (props.ingestReservedConcurrency ?? 0) + (props.reconcileReservedConcurrency ?? 0);
  if (reserved > 0) {
    Annotations.of(scope).addWarningV2(
      "cloudjail:reservedConcurrency",
      `${reserved} reserved executions need an account Lambda concurrency quota of at least ${reserved + 10} (AWS keeps 10 unreserved); new accounts often have 10`,
    );
  }
}

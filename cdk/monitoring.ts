// Dashboard and alarms over the metrics the functions publish (Embedded Metric Format, namespace "Cloudjail") and
// the functions' own Lambda metrics. Alarms notify the alert topic.
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRICS_NAMESPACE, metricDimensions } from "../cloud/runtime/runtime-settings.js";

/** Properties of {@link CloudjailMonitoring}. */
export interface CloudjailMonitoringProps {
  /** The `Stack` dimension of the metrics. */
  readonly label: string;
  /** Jail names, one line per jail in the per-jail graphs. */
  readonly jails: readonly string[];
  readonly functions: {
    readonly ingest: lambda.IFunction;
    readonly reconcile: lambda.IFunction;
    readonly admin: lambda.IFunction;
  };
  /** Where alarms go. */
  readonly alarmTopic: sns.ITopic;
  /** The ingest function's on-failure destination: any record in it is a delivery not yet run. */
  readonly failedDeliveries?: sqs.IQueue;
  /** Whether bans go to network ACLs (the reconcile run then reports foreign rules in its range). @default false */
  readonly networkAcls?: boolean;
}

/** The cloudjail dashboard and its alarms. */
export class CloudjailMonitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: CloudjailMonitoringProps) {
    super(scope, id);
    const metric = (metricName: string, dimensions: Record<string, string>, statistic = "Sum", label?: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { ...metricDimensions(props.label), ...dimensions },
        statistic,
        period: Duration.minutes(1),
        ...(label ? { label } : {}),
      });
    const perJail = (name: string, statistic = "Sum") =>
      props.jails.map((jail) => metric(name, { Jail: jail }, statistic, jail));

    const enforcementFailures = metric("EnforcementFailures", {});
    const overflow = metric("TargetOverflow", {}, "Maximum");
    const malformed = metric("MalformedEvents", {});
    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: "Log lines read", left: [metric("LinesRead", {})], width: 8 }),
          new cloudwatch.GraphWidget({ title: "Failures per jail", left: perJail("Failures"), width: 8 }),
          new cloudwatch.GraphWidget({ title: "New bans per jail", left: perJail("Bans"), width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: "Active bans per jail",
            left: perJail("ActiveBans", "Maximum"),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: "Errors",
            left: [
              props.functions.ingest.metricErrors({ label: "ingest errors" }),
              props.functions.reconcile.metricErrors({ label: "reconcile errors" }),
              props.functions.admin.metricErrors({ label: "admin errors" }),
              malformed.with({ label: "malformed events" }),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: "Enforcement",
            left: [
              enforcementFailures.with({ label: "failed target updates" }),
              overflow.with({ label: "bans not fitting a target" }),
              ...(props.networkAcls
                ? [metric("ForeignNaclRules", {}, "Maximum", "rules not ours in the ACL range")]
                : []),
            ],
            width: 8,
          }),
        ],
      ],
    });

    const action = new cloudwatchActions.SnsAction(props.alarmTopic);
    const alarm = (
      id: string,
      description: string,
      m: cloudwatch.IMetric,
      evaluationPeriods: number,
      datapointsToAlarm = evaluationPeriods,
    ) => {
      const created = new cloudwatch.Alarm(this, id, {
        metric: m,
        threshold: 1,
        evaluationPeriods,
        datapointsToAlarm,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(action);
      this.alarms.push(created);
    };
    alarm(
      "IngestErrors",
      "The ingest function failed: log deliveries are retried, then kept in the failed-deliveries queue",
      props.functions.ingest.metricErrors({ period: Duration.minutes(5) }),
      1,
    );
    alarm(
      "ReconcileErrors",
      "The reconcile function failed three minutes in a row: bans are not expired nor repaired",
      props.functions.reconcile.metricErrors({ period: Duration.minutes(1) }),
      3,
    );
    alarm(
      "EnforcementFailures",
      "WAF or network ACL updates keep failing: some bans are not enforced",
      enforcementFailures,
      5,
    );
    alarm(
      "TargetOverflow",
      "More bans than a WAF IP set (10,000) or a network ACL holds: the oldest are left out",
      overflow,
      1,
    );
    // Malformed deliveries and events, lines the filter's hostposition refused (a user name written to pass for the
    // address), lines matched without an address, lines abandoned by the ReDoS guard: each is a line that protection
    // did not count, so any is worth a look. Attackers can cause the last three at will: one breaching period of
    // three keeps the alarm on until 15 quiet minutes, so a trickle makes one notification, not one per 5 minutes.
    alarm(
      "MalformedEvents",
      "Log events were not counted (malformed, refused by the filter's hostposition, matched without an address, or past the filter's time budget): read the ingest function's ERROR log lines",
      malformed.with({ period: Duration.minutes(5) }),
      3,
      1,
    );
    if (props.networkAcls) {
      // The reconcile run counts, every minute, the rules in cloudjail's range that it did not create: each takes a
      // number and a place in the rules quota, so fewer bans fit. A lasting condition: one notification when it
      // starts, OK again once the rules are moved out of the range.
      alarm(
        "ForeignNaclRules",
        "A network ACL holds rules cloudjail did not create inside its rule range (networkAclRuleRange): they are never changed, but take room from the bans; move them out of the range",
        metric("ForeignNaclRules", {}, "Maximum").with({ period: Duration.minutes(5) }),
        1,
      );
    }
    if (props.failedDeliveries) {
      alarm(
        "FailedDeliveries",
        "Log deliveries failed three times and wait in the failed-deliveries queue: fix the cause, then run `cloudjail cloud replay-failed`",
        props.failedDeliveries.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: "Maximum",
        }),
        1,
      );
    }
    // Lambda could not even write the record of a failed delivery (queue deleted, access denied, record too large):
    // that delivery is lost, and only this metric says so.
    alarm(
      "LostDeliveries",
      "The record of a failed log delivery could not be written to the failed-deliveries queue: that delivery is lost",
      new cloudwatch.Metric({
        namespace: "AWS/Lambda",
        metricName: "DestinationDeliveryFailures",
        dimensionsMap: { FunctionName: props.functions.ingest.functionName },
        statistic: "Sum",
        period: Duration.minutes(5),
      }),
      1,
    );
  }
}

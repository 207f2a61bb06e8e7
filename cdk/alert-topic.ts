// The alert topic and its key. CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key
// `alias/aws/sns` (its policy cannot be changed to let cloudwatch.amazonaws.com use it): alarm notifications would be
// dropped without a trace. The topic is therefore encrypted with a customer managed key, rotated yearly, whose policy
// lets CloudWatch use it; the functions that publish get the key through their own role (see function-permissions.ts).
import { RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";

/** The alert topic and the key it is encrypted with. */
export interface AlertTopic {
  readonly key: kms.Key;
  readonly topic: sns.Topic;
}

/**
 * Creates, in `scope`, the key `AlertsKey` and the topic `Alerts` (TLS only), so that a stack deployed before the key
 * existed keeps its topic and its confirmed email subscriptions.
 */
export function createAlertTopic(scope: Construct, displayName: string): AlertTopic {
  const stack = Stack.of(scope);
  const key = new kms.Key(scope, "AlertsKey", {
    description: `${displayName}: encrypts the alert topic (CloudWatch alarms and the functions publish)`,
    enableKeyRotation: true,
    // the key protects messages in transit only: nothing to keep once the topic is gone
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // In a key policy "*" is this key. Alarm actions call KMS as cloudwatch.amazonaws.com with these two actions
  // (SNS: "compatibility between event sources from AWS services and encrypted topics"). Without conditions any
  // account's alarms could use the key through the service (the confused deputy); CloudWatch sends the alarm's
  // account and ARN with the request (the SNS developer guide's key policy for AWS service event sources conditions
  // on aws:SourceArn; re:Post "cloudwatch-receive-sns-for-alarm-trigger" shows the alarm's ARN as aws:SourceArn), so
  // only alarms of this account and Region qualify. The alarms' names are made by CloudFormation, hence `alarm:*`.
  // (The topic's ARN as encryption context would need the topic before the key, which is encrypted with it: a cycle.)
  const alarmsOfThisAccount = {
    StringEquals: { "aws:SourceAccount": stack.account },
    ArnLike: { "aws:SourceArn": alarmArnPattern(stack) },
  };
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: "CloudWatchAlarmsPublishEncrypted",
      principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
      actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
      resources: ["*"],
      conditions: alarmsOfThisAccount,
    }),
  );
  const topic = new sns.Topic(scope, "Alerts", { displayName, masterKey: key, enforceSSL: true });
  // The TLS-only topic policy replaces SNS's default one: the alarms of this account are allowed explicitly.
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: "CloudWatchAlarmsPublish",
      principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
      actions: ["sns:Publish"],
      resources: [topic.topicArn],
      conditions: alarmsOfThisAccount,
    }),
  );
  return { key, topic };
}

/** ARN pattern of every CloudWatch alarm of the stack's account and Region. */
function alarmArnPattern(stack: Stack): string {
  return `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`;
}

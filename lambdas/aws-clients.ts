// The AWS clients of a Lambda container, created once at module scope and reused by every invocation.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { quietSdkNodeVersionNotice } from "../cloud/admin/aws-call-problem.js";
import type { CloudClients } from "../cloud/runtime/cloud-runtime.js";
import type { RuntimeSettings } from "../cloud/runtime/runtime-settings.js";

/**
 * Clients for the configured targets only; WAF's CLOUDFRONT scope is only served in us-east-1. The SDK modules of the
 * targets a stack does not use are never loaded (the EC2 client alone is the largest part of the bundle), which keeps
 * the cold start short.
 */
export async function createAwsClients(settings: RuntimeSettings): Promise<CloudClients> {
  quietSdkNodeVersionNotice();
  const [waf, ec2, sns] = await Promise.all([
    settings.waf ? import("@aws-sdk/client-wafv2") : undefined,
    settings.nacl ? import("@aws-sdk/client-ec2") : undefined,
    settings.topicArn ? import("@aws-sdk/client-sns") : undefined,
  ]);
  return {
    dynamodb: new DynamoDBClient({}),
    ...(waf && settings.waf
      ? { wafv2: new waf.WAFV2Client(settings.waf.scope === "CLOUDFRONT" ? { region: "us-east-1" } : {}) }
      : {}),
    ...(ec2 ? { ec2: new ec2.EC2Client({}) } : {}),
    ...(sns ? { sns: new sns.SNSClient({}) } : {}),
  };
}

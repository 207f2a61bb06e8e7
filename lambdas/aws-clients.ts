// The AWS clients of a Lambda container, created once at module scope and reused by every invocation.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { quietSdkNodeVersionNotice } from "../cloud/admin/aws-call-problem.js";
import type { CloudClients } from "../cloud/runtime/cloud-runtime.js";
import type { RuntimeSettings } from "../cloud/runtime/runtime-settings.js";

/**
 * Clients for the configured targets only; WAF's CLOUDFRONT scope is only served in us-east-1. The EC2 and SNS SDK
 * modules (EC2's alone is the largest part of the bundle) are loaded at their first call, not at the cold start: most
 * deliveries ban nobody and send no alert.
 */
export async function createAwsClients(settings: RuntimeSettings): Promise<CloudClients> {
  quietSdkNodeVersionNotice();
  const waf = settings.waf ? await import("@aws-sdk/client-wafv2") : undefined;
  return {
    dynamodb: new DynamoDBClient({}),
    ...(waf && settings.waf
      ? { wafv2: new waf.WAFV2Client(settings.waf.scope === "CLOUDFRONT" ? { region: "us-east-1" } : {}) }
      : {}),
    ...(settings.nacl ? { ec2: async () => new (await import("@aws-sdk/client-ec2")).EC2Client({}) } : {}),
    ...(settings.topicArn ? { sns: async () => new (await import("@aws-sdk/client-sns")).SNSClient({}) } : {}),
  };
}

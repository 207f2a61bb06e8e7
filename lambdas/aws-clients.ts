// The AWS clients of a Lambda container, created once at module scope and reused by every invocation.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { quietSdkNodeVersionNotice } from "../cloud/admin/aws-call-problem.js";
import type { CloudClients } from "../cloud/runtime/cloud-runtime.js";
import type { RuntimeSettings } from "../cloud/runtime/runtime-settings.js";
import { ONE_SDK_ATTEMPT } from "../cloud/targets/retry.js";

/**
 * Clients for the configured targets only; WAF's CLOUDFRONT scope is only served in us-east-1. The WAF, EC2 and SNS
 * SDK modules (EC2's alone is two thirds of the bundle) are separate chunks of the bundle, loaded at their first call,
 * not at the cold start: most deliveries ban nobody and send no alert. The target clients make one attempt per call:
 * the targets retry (see ONE_SDK_ATTEMPT); DynamoDB's and SNS's keep the SDK's own retries, being called directly.
 */
export async function createAwsClients(settings: RuntimeSettings): Promise<CloudClients> {
  quietSdkNodeVersionNotice();
  const waf = settings.waf;
  return {
    dynamodb: new DynamoDBClient({}),
    ...(waf
      ? {
          wafv2: async () =>
            new (await import("@aws-sdk/client-wafv2")).WAFV2Client({
              ...ONE_SDK_ATTEMPT,
              ...(waf.scope === "CLOUDFRONT" ? { region: "us-east-1" } : {}),
            }),
        }
      : {}),
    ...(settings.nacl ? { ec2: async () => new (await import("@aws-sdk/client-ec2")).EC2Client(ONE_SDK_ATTEMPT) } : {}),
    ...(settings.topicArn ? { sns: async () => new (await import("@aws-sdk/client-sns")).SNSClient({}) } : {}),
  };
}

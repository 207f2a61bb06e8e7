// The AWS clients of a Lambda container, created once at module scope and reused by every invocation.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SNSClient } from "@aws-sdk/client-sns";
import { WAFV2Client } from "@aws-sdk/client-wafv2";
import { quietSdkNodeVersionNotice } from "../cloud/admin/aws-call-problem.js";
import type { CloudClients } from "../cloud/runtime/cloud-runtime.js";
import type { RuntimeSettings } from "../cloud/runtime/runtime-settings.js";

/** Clients for the configured targets; WAF's CLOUDFRONT scope is only served in us-east-1. */
export function createAwsClients(settings: RuntimeSettings): CloudClients {
  quietSdkNodeVersionNotice();
  return {
    dynamodb: new DynamoDBClient({}),
    ...(settings.waf
      ? { wafv2: new WAFV2Client(settings.waf.scope === "CLOUDFRONT" ? { region: "us-east-1" } : {}) }
      : {}),
    ...(settings.nacl ? { ec2: new EC2Client({}) } : {}),
    ...(settings.topicArn ? { sns: new SNSClient({}) } : {}),
  };
}

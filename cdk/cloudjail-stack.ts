// The stack of the cloudjail app: the Cloudjail construct, environment-agnostic (no account or Region baked in),
// with the cdk-nag findings it deliberately keeps acknowledged, each with its reason. Every acknowledgement is made
// on the one policy or resource it excuses, and names the exact finding (resource or action): a wildcard added
// anywhere else, or another wildcard on the same policy, still fails the synth.
import { Stack, type StackProps, Validations } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { Cloudjail, type CloudjailProps } from "./cloudjail.js";
import { DESCRIBE_ACLS_POLICY_ID } from "./function-roles.js";

/** Properties of {@link CloudjailStack}: the construct's and the stack's. */
export interface CloudjailStackProps extends StackProps, CloudjailProps {}

/** One Cloudjail construct in its own stack. */
export class CloudjailStack extends Stack {
  readonly cloudjail: Cloudjail;

  constructor(scope: Construct, id: string, props: CloudjailStackProps) {
    super(scope, id, props);
    this.cloudjail = new Cloudjail(this, "Cloudjail", props);
    acknowledgeCloudjailFindings(this.cloudjail);
  }
}

/** Acknowledges, with reasons, the cdk-nag AwsSolutions findings the Cloudjail construct keeps on purpose. */
export function acknowledgeCloudjailFindings(cloudjail: Cloudjail): void {
  for (const fn of [cloudjail.ingestFunction, cloudjail.reconcileFunction, cloudjail.adminFunction]) {
    // a policy holding the single ec2:DescribeNetworkAcls statement (see function-roles.ts)
    const describe = cloudjail.node.tryFindChild(`${fn.node.id}${DESCRIBE_ACLS_POLICY_ID}`);
    if (describe) {
      Validations.of(describe).acknowledge({
        id: "AwsSolutions-IAM5[Resource::*]",
        reason:
          "ec2:DescribeNetworkAcls supports no resource-level permissions; the writes are scoped to the named ACLs",
      });
    }
  }
  const history = cloudjail.node.tryFindChild("IngestLogHistory");
  if (history) {
    for (const logGroup of cloudjail.logGroupNames) {
      Validations.of(history).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:${logGroup}:*]`,
        reason:
          "a named log group of a jail, in the ARN form IAM uses for FilterLogEvents (backfill reads its history)",
      });
    }
  }
  Validations.of(cloudjail.failedDeliveries.queue).acknowledge({
    id: "AwsSolutions-SQS3",
    reason: "this queue is itself the dead-letter (on-failure) destination of the ingest function",
  });
}

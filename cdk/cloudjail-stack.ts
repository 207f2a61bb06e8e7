// The stack of the cloudjail app: the Cloudjail construct, environment-agnostic (no account or Region baked in),
// with the cdk-nag findings it deliberately keeps acknowledged, each with its reason.
import { type CfnElement, Stack, type StackProps, Validations } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { Cloudjail, type CloudjailProps } from "./cloudjail.js";

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
  const stack = Stack.of(cloudjail);
  const table = stack.getLogicalId(cloudjail.table.node.defaultChild as CfnElement);
  for (const fn of [cloudjail.ingestFunction, cloudjail.reconcileFunction, cloudjail.adminFunction]) {
    const policy = fn.role!.node.tryFindChild("DefaultPolicy") as Construct;
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${table}.Arn>/index/*]`,
      reason: "the table's own indexes (the active-bans index), granted by Table.grantReadWriteData",
    });
    Validations.of(policy).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason: "ec2:DescribeNetworkAcls supports no resource-level permissions; the writes are scoped to the named ACLs",
    });
  }
  const ingestPolicy = cloudjail.ingestFunction.role!.node.tryFindChild("DefaultPolicy") as Construct;
  for (const logGroup of cloudjail.logGroupNames) {
    Validations.of(ingestPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:${logGroup}:*]`,
      reason: "a named log group of a jail, in the ARN form IAM uses for FilterLogEvents (backfill reads its history)",
    });
  }
}

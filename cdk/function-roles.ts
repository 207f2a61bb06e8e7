// Turns a function's row of function-permissions.ts into IAM statements on the named resources. The one action that
// supports no resource-level permission (ec2:DescribeNetworkAcls) goes into a policy of its own, so that the cdk-nag
// acknowledgement of its `Resource::*` covers that statement alone and a future wildcard elsewhere still fails.
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sns from "aws-cdk-lib/aws-sns";
import { DYNAMODB_ACTIVE_BANS_INDEX } from "../shared/store/dynamodb-layout.js";
import {
  type FunctionPermissions,
  NACL_DESCRIBE_ACTION,
  NACL_WRITE_ACTIONS,
  TOPIC_KEY_ACTIONS,
  WAF_ACTIONS,
} from "./function-permissions.js";

/** The resources the permissions name. */
export interface PermissionResources {
  readonly table: dynamodb.Table;
  readonly alertOutbox: dynamodb.Table;
  readonly topic: sns.ITopic;
  readonly topicKey: kms.IKey;
  readonly ipSetArns: readonly string[];
  /** Empty when no network ACL is protected. */
  readonly naclArns: readonly string[];
}

/** Id of the policy holding a function's `ec2:DescribeNetworkAcls` (the acknowledgement looks it up by this id). */
export const DESCRIBE_ACLS_POLICY_ID = "DescribeNetworkAcls";

/** Adds the statements of `permissions` to the role of `fn`. */
export function grantFunctionPermissions(
  fn: lambda.Function,
  permissions: FunctionPermissions,
  resources: PermissionResources,
): void {
  const allow = (actions: readonly string[], arns: readonly string[]) => {
    if (actions.length > 0 && arns.length > 0) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...actions], resources: [...arns] }));
    }
  };
  allow(permissions.table, [resources.table.tableArn]);
  allow(permissions.activeBansIndex, [`${resources.table.tableArn}/index/${DYNAMODB_ACTIVE_BANS_INDEX}`]);
  allow(permissions.alertOutbox, [resources.alertOutbox.tableArn]);
  if (permissions.publishAlerts) {
    allow(["sns:Publish"], [resources.topic.topicArn]);
    allow(TOPIC_KEY_ACTIONS, [resources.topicKey.keyArn]);
  }
  if (permissions.enforces) {
    allow(WAF_ACTIONS, resources.ipSetArns);
    allow(NACL_WRITE_ACTIONS, resources.naclArns);
    if (resources.naclArns.length > 0) {
      // the construct that owns the function owns the policy too (its id is unique beside the function's)
      const describe = new iam.Policy(fn.node.scope!, `${fn.node.id}${DESCRIBE_ACLS_POLICY_ID}`, {
        roles: [fn.role!],
        statements: [new iam.PolicyStatement({ actions: [NACL_DESCRIBE_ACTION], resources: ["*"] })],
      });
      // the function starts only once it can read the ACLs (as it does for its default policy)
      fn.node.addDependency(describe);
    }
  }
}

// What each function's code calls, as data: the roles are built from this table and the template tests compare every
// role with it, so a permission the code does not use cannot slip in, and a call the code starts making fails in the
// tests (and in AWS) until it is added here. Read from the code:
// - jail table (cloud/store/sdk-document-table.ts): GetItem, PutItem (conditional), Query on the table
//   (bantime.overalljails, listByFid); DeleteItem drops a network ACL rule claim (cloud/targets/acl-rule-registry.ts).
//   Only the reconcile and admin functions read the active-bans index: ingest adds its own decisions and never
//   plans from the index. The admin unban bumps the unban epoch (UpdateItem, cloud/store/unban-epoch-item.ts) that
//   tells every ingest container to forget the bans it remembers. The reconcile lease (cloud/reconcile/
//   reconcile-lease.ts) is a conditional PutItem as well.
// - alert outbox (cloud/alerts/alert-outbox.ts): ingest claims the minute (PutItem) and queues (BatchWriteItem);
//   reconcile reads what is due (Query) and removes what it sent (BatchWriteItem).
//   The admin function sends no alert, so it gets neither the outbox nor the topic.
// - targets (cloud/targets/): GetIPSet and UpdateIPSet; DescribeNetworkAcls, CreateNetworkAclEntry,
//   DeleteNetworkAclEntry (an entry is never replaced in place: delete, then create).
import type { LAMBDA_ENTRIES } from "./lambda-bundling.js";

/** The actions one function needs, resource by resource. */
export interface FunctionPermissions {
  /** On the jail table itself. */
  readonly table: readonly string[];
  /** On the active-bans index (named, not `index/*`). */
  readonly activeBansIndex: readonly string[];
  /** On the alert outbox table. */
  readonly alertOutbox: readonly string[];
  /** sns:Publish on the alert topic (and the topic key's GenerateDataKey / Decrypt that encryption needs). */
  readonly publishAlerts: boolean;
  /** Reads and writes the WAF IP sets and the network ACL entries. */
  readonly enforces: boolean;
}

/** The table, function by function. */
export const FUNCTION_PERMISSIONS: Readonly<Record<keyof typeof LAMBDA_ENTRIES, FunctionPermissions>> = {
  ingest: {
    table: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem"],
    activeBansIndex: [],
    alertOutbox: ["dynamodb:PutItem", "dynamodb:BatchWriteItem"],
    publishAlerts: true,
    enforces: true,
  },
  reconcile: {
    table: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem"],
    activeBansIndex: ["dynamodb:Query"],
    alertOutbox: ["dynamodb:Query", "dynamodb:BatchWriteItem"],
    publishAlerts: true,
    enforces: true,
  },
  admin: {
    table: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:UpdateItem"],
    activeBansIndex: ["dynamodb:Query"],
    alertOutbox: [],
    publishAlerts: false,
    enforces: true,
  },
};

/** WAF IP set calls of the targets. */
export const WAF_ACTIONS = ["wafv2:GetIPSet", "wafv2:UpdateIPSet"] as const;
/** Network ACL entry writes, on the named ACLs. */
export const NACL_WRITE_ACTIONS = ["ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAclEntry"] as const;
/** Supports no resource-level permission: its own policy, the only statement on `*`. */
export const NACL_DESCRIBE_ACTION = "ec2:DescribeNetworkAcls";
/** Publishing to a topic encrypted with a customer managed key. */
export const TOPIC_KEY_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"] as const;
/** The ingest function's backfill reads the jails' log groups (cloud/logs/cloudwatch-history.ts). */
export const LOG_HISTORY_ACTIONS = ["logs:FilterLogEvents", "logs:DescribeSubscriptionFilters"] as const;

// The backfill's history (see cloud/ingest/backfill.ts) from CloudWatch Logs: the events through FilterLogEvents
// (cloudwatch-log-reader), and when the subscription to this function started through DescribeSubscriptionFilters.
import { type CloudWatchLogsClient, DescribeSubscriptionFiltersCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { HistorySource } from "../ingest/backfill.js";
import { isTransientAwsError, withRetry } from "../targets/retry.js";
import { readLogEvents } from "./cloudwatch-log-reader.js";

/** The name in a Lambda function ARN (`arn:aws:lambda:region:account:function:NAME[:qualifier]`), or the text. */
function functionNameOf(arn: string): string {
  const parts = arn.split(":");
  return parts.length >= 7 && parts[5] === "function" ? parts[6]! : arn;
}

/** History of log groups as CloudWatch Logs keeps it, for the function named `functionName` (this Lambda). */
export function cloudWatchHistory(client: CloudWatchLogsClient, functionName: string): HistorySource {
  return {
    async subscriptionStart(logGroup) {
      // the earliest of this function's subscription filters on the group (there is one; a second is harmless)
      let start: number | undefined;
      let nextToken: string | undefined;
      do {
        const page = await withRetry(
          () =>
            client.send(
              new DescribeSubscriptionFiltersCommand({ logGroupName: logGroup, ...(nextToken ? { nextToken } : {}) }),
            ),
          isTransientAwsError,
        );
        for (const filter of page.subscriptionFilters ?? []) {
          if (filter.creationTime === undefined || !filter.destinationArn) continue;
          if (functionNameOf(filter.destinationArn) !== functionName) continue;
          start = Math.min(start ?? filter.creationTime, filter.creationTime);
        }
        nextToken = page.nextToken;
      } while (nextToken);
      return start;
    },
    events: (logGroup, startTime, endTime, filterPattern) =>
      readLogEvents(client, { logGroupName: logGroup, startTime, endTime, filterPattern }),
  };
}

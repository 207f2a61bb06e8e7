// Reads past events of a log group through FilterLogEvents, page by page, for `cloudjail replay --log-group` (what
// would a jail have banned?) and for backfilling a new jail. FilterLogEvents is throttled per account and Region
// (a few requests per second): throttled pages are retried with jittered backoff, the caller sees one stream.
import { type CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { isTransientAwsError, type RetryPolicy, withRetry } from "../targets/retry.js";

/** A past log event, with the stream it came from. */
export interface StoredLogEvent {
  readonly id: string;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly message: string;
  readonly logStream: string;
}

/** What to read. Times are milliseconds since the epoch. */
export interface LogReadRequest {
  readonly logGroupName: string;
  readonly startTime: number;
  readonly endTime?: number;
  /** A CloudWatch Logs filter pattern, evaluated by the service (for example a jail's `filterpattern`). */
  readonly filterPattern?: string;
  /** Events per page (the API allows 1 to 10,000). @default 10000 */
  readonly pageSize?: number;
  /** Stop after this many events. */
  readonly maxEvents?: number;
  readonly retry?: RetryPolicy;
}

/**
 * Yields the events of a log group in the requested time range, following `nextToken` until the last page. Events
 * come in the order the service returns them (by time within a page, streams interleaved); replays sort per jail.
 */
export async function* readLogEvents(
  client: CloudWatchLogsClient,
  request: LogReadRequest,
): AsyncGenerator<StoredLogEvent> {
  const limit = Math.min(10_000, Math.max(1, request.pageSize ?? 10_000));
  let nextToken: string | undefined;
  let count = 0;
  do {
    const page = await withRetry(
      () =>
        client.send(
          new FilterLogEventsCommand({
            logGroupName: request.logGroupName,
            startTime: request.startTime,
            ...(request.endTime !== undefined ? { endTime: request.endTime } : {}),
            ...(request.filterPattern ? { filterPattern: request.filterPattern } : {}),
            limit,
            ...(nextToken ? { nextToken } : {}),
          }),
        ),
      isTransientAwsError,
      request.retry,
    );
    for (const event of page.events ?? []) {
      if (event.message === undefined || event.timestamp === undefined) continue;
      yield {
        id: event.eventId ?? `${event.logStreamName ?? ""}:${event.timestamp}:${count}`,
        timestamp: event.timestamp,
        message: event.message,
        logStream: event.logStreamName ?? "",
      };
      if (request.maxEvents !== undefined && ++count >= request.maxEvents) return;
    }
    nextToken = page.nextToken;
  } while (nextToken);
}

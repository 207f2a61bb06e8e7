// An in-memory CloudWatch Logs FilterLogEvents with the rules a reader meets: unknown groups do not exist, limit is
// 1..10,000, startTime must not exceed endTime, a page is cut at `limit` events, and `nextToken` must be one the
// service handed out for the same query. Throttling can be injected. DescribeSubscriptionFilters lists the
// subscription filters set on a group (limit 1..50, one filter per page when asked, to exercise paging).
import {
  CloudWatchLogsClient,
  CloudWatchLogsServiceException,
  DescribeSubscriptionFiltersCommand,
  type DescribeSubscriptionFiltersCommandInput,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
  type SubscriptionFilter,
} from "@aws-sdk/client-cloudwatch-logs";
import { mockClient } from "aws-sdk-client-mock";

function logsError(name: string, message: string): Error {
  return new CloudWatchLogsServiceException({ name, $fault: "client", message, $metadata: { httpStatusCode: 400 } });
}

/** A CloudWatchLogsClient reading in-memory log groups. Filter patterns: a plain term matches messages holding it. */
export class FakeCloudWatchLogs {
  readonly client = new CloudWatchLogsClient({
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
  });
  readonly groups = new Map<string, { logStreamName: string; timestamp: number; message: string; eventId: string }[]>();
  readonly calls: FilterLogEventsCommandInput[] = [];
  private readonly tokens = new Map<string, { query: string; offset: number }>();
  private throttles = 0;

  private readonly mock: ReturnType<typeof mockClient>;

  /** Subscription filters per log group. */
  readonly subscriptions = new Map<string, SubscriptionFilter[]>();

  /** `mockTarget`: the class, to reach clients that code under test creates itself (a Lambda handler). */
  constructor(mockTarget: CloudWatchLogsClient | typeof CloudWatchLogsClient = this.client) {
    const mock = mockClient(mockTarget);
    this.mock = mock;
    mock.on(FilterLogEventsCommand).callsFake(async (input: FilterLogEventsCommandInput) => this.filter(input));
    mock
      .on(DescribeSubscriptionFiltersCommand)
      .callsFake(async (input: DescribeSubscriptionFiltersCommandInput) => this.describeSubscriptions(input));
  }

  private describeSubscriptions(input: DescribeSubscriptionFiltersCommandInput) {
    if (!this.groups.has(input.logGroupName ?? "")) {
      throw logsError("ResourceNotFoundException", "The specified log group does not exist.");
    }
    const limit = input.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) {
      throw logsError("InvalidParameterException", "limit must be between 1 and 50");
    }
    const filters = this.subscriptions.get(input.logGroupName!) ?? [];
    // one filter per page: callers must follow nextToken
    const offset = input.nextToken ? Number(input.nextToken.replace(/^s-/, "")) : 0;
    if (!Number.isInteger(offset) || offset < 0 || offset > filters.length) {
      throw logsError("InvalidParameterException", "The specified nextToken is invalid.");
    }
    const page = filters.slice(offset, offset + 1);
    return {
      subscriptionFilters: page,
      ...(offset + 1 < filters.length ? { nextToken: `s-${offset + 1}` } : {}),
    };
  }

  /** Takes the fake off the client or class it was installed on. */
  restore(): void {
    this.mock.restore();
  }

  /** Makes the next `times` calls fail with ThrottlingException. */
  throttleNext(times: number): void {
    this.throttles += times;
  }

  private filter(input: FilterLogEventsCommandInput) {
    this.calls.push(input);
    if (this.throttles > 0) {
      this.throttles--;
      throw logsError("ThrottlingException", "Rate exceeded");
    }
    const events = this.groups.get(input.logGroupName ?? "");
    if (!events) throw logsError("ResourceNotFoundException", "The specified log group does not exist.");
    const limit = input.limit ?? 10_000;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw logsError(
        "InvalidParameterException",
        "1 validation error detected: Value at 'limit' failed to satisfy constraint",
      );
    }
    if (input.startTime !== undefined && input.endTime !== undefined && input.startTime > input.endTime) {
      throw logsError("InvalidParameterException", "endTime must be greater than or equal to startTime");
    }
    const { nextToken: _, ...rest } = input;
    const query = JSON.stringify(rest);
    let offset = 0;
    if (input.nextToken) {
      const token = this.tokens.get(input.nextToken);
      if (!token || token.query !== query)
        throw logsError("InvalidParameterException", "The specified nextToken is invalid.");
      offset = token.offset;
    }
    const matching = events
      .filter(
        (e) =>
          (input.startTime === undefined || e.timestamp >= input.startTime) &&
          (input.endTime === undefined || e.timestamp <= input.endTime),
      )
      .filter((e) => !input.filterPattern || e.message.includes(input.filterPattern.replace(/^"|"$/g, "")))
      .sort((a, b) => a.timestamp - b.timestamp);
    const page = matching.slice(offset, offset + limit);
    let nextToken: string | undefined;
    if (offset + limit < matching.length) {
      nextToken = `t-${this.tokens.size + 1}`;
      this.tokens.set(nextToken, { query, offset: offset + limit });
    }
    return { events: page, searchedLogStreams: [], ...(nextToken ? { nextToken } : {}) };
  }
}

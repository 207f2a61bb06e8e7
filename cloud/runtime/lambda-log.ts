// The functions' log lines in the shape of Powertools for AWS Lambda's Logger, so that the Logs Insights queries,
// metric filters and dashboards AWS users already have for Powertools functions work on cloudjail's too: one JSON
// object per line with level, message, timestamp, service, cold_start, function_name, function_request_id,
// function_arn, function_memory_size and xray_trace_id, then the line's own fields.
import type { IngestLog } from "../ingest/ingest-delivery.js";
import type { LineSink } from "../metrics/embedded-metrics.js";

/** The part of the Lambda context object the log lines carry (the handler's second argument). */
export interface InvocationContext {
  readonly functionName: string;
  readonly awsRequestId: string;
  readonly invokedFunctionArn?: string;
  readonly memoryLimitInMB?: string;
}

/** Writes Powertools-shaped lines; `begin` is called once per invocation with the Lambda context. */
export class LambdaLog {
  private invocation: Record<string, unknown> = {};
  private invocations = 0;

  constructor(
    private readonly service: string,
    private readonly sink: LineSink,
    private readonly now: () => number = Date.now,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Starts an invocation: the first one of a container is its cold start. */
  begin(context: InvocationContext | undefined): void {
    this.invocations++;
    const traceId = this.env._X_AMZN_TRACE_ID?.match(/Root=([^;]+)/)?.[1];
    this.invocation = {
      cold_start: this.invocations === 1,
      ...(context
        ? {
            function_arn: context.invokedFunctionArn,
            function_memory_size: context.memoryLimitInMB === undefined ? undefined : Number(context.memoryLimitInMB),
            function_name: context.functionName,
            function_request_id: context.awsRequestId,
          }
        : {}),
      ...(traceId ? { xray_trace_id: traceId } : {}),
    };
  }

  /** One line. A field named like a standard key cannot replace it: the standard keys are written again last. */
  readonly write: IngestLog = (level, message, fields = {}) => {
    const standard = {
      level,
      message,
      timestamp: new Date(this.now()).toISOString(),
      service: this.service,
      ...this.invocation,
    };
    // the first spread fixes the key order (standard keys first), the last one their values
    this.sink(JSON.stringify({ ...standard, ...fields, ...standard }));
  };
}

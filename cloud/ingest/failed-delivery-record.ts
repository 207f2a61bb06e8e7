// The record Lambda writes to an on-failure destination when an asynchronous invocation of the ingest function is
// given up (retries exhausted, or the event waited longer than its maximum age). Documented shape (Lambda,
// "Capturing records of asynchronous invocations"): `version`, `timestamp`, `requestContext` {requestId,
// functionArn, condition, approximateInvokeCount}, `requestPayload` (the event as invoked), `responseContext`
// {statusCode, executedVersion, functionError} and `responsePayload` (the error). When the record would be too large
// for the destination, Lambda drops the payload: such a delivery cannot be replayed, only reported.
import { CloudjailError } from "../../shared/errors.js";
import { decodeDelivery, MalformedPayloadError } from "../logs/subscription-payload.js";

/** Stack output holding the URL of the failed-deliveries queue (written by `cdk deploy --outputs-file`). */
export const FAILED_DELIVERIES_OUTPUT = "CloudjailFailedDeliveriesQueueUrl";

/** Why Lambda gave an invocation up. */
export type FailureCondition = "RetriesExhausted" | "EventAgeExceeded";

/** A decoded on-failure record. */
export interface FailedDeliveryRecord {
  readonly requestId: string;
  /** The function that failed, without qualifier. */
  readonly functionName: string;
  readonly condition: FailureCondition;
  readonly invokeCount: number;
  /** When Lambda gave it up (ISO 8601, as in the record). */
  readonly timestamp: string;
  /** The last error, for the report ("" when the record has none). */
  readonly error: string;
  /** The subscription delivery to run again, with where it came from; absent when it cannot be replayed. */
  readonly delivery?: { readonly payload: unknown; readonly logGroup: string; readonly events: number };
  /** Why it cannot be replayed (set exactly when `delivery` is absent). */
  readonly unreplayable?: string;
}

/** A message of the queue that is no on-failure record of a function at all. */
export class FailedDeliveryRecordError extends CloudjailError {
  override name = "FailedDeliveryRecordError";
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The function name of `arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]`. */
export function functionNameOfArn(arn: string): string | undefined {
  return /^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:([A-Za-z0-9_-]{1,64})(?::[\w$-]+)?$/.exec(arn)?.[1];
}

/**
 * Decodes one message body. Throws FailedDeliveryRecordError (saying which field) when the body is not an on-failure
 * record; a record whose payload is missing or is no log delivery is returned with `unreplayable` set.
 */
export function parseFailedDeliveryRecord(body: string): FailedDeliveryRecord {
  let record: unknown;
  try {
    record = JSON.parse(body);
  } catch {
    throw new FailedDeliveryRecordError(`not JSON: ${JSON.stringify(body.slice(0, 80))}`);
  }
  if (!isObject(record)) throw new FailedDeliveryRecordError("not a JSON object");
  const context = record.requestContext;
  if (!isObject(context)) throw new FailedDeliveryRecordError("no requestContext object");
  const { requestId, functionArn, condition, approximateInvokeCount } = context;
  if (typeof requestId !== "string" || requestId === "") {
    throw new FailedDeliveryRecordError("requestContext.requestId is not a string");
  }
  const functionName = typeof functionArn === "string" ? functionNameOfArn(functionArn) : undefined;
  if (!functionName) {
    throw new FailedDeliveryRecordError(`requestContext.functionArn is not a function ARN: ${String(functionArn)}`);
  }
  if (condition !== "RetriesExhausted" && condition !== "EventAgeExceeded") {
    // "Success" records belong to on-success destinations: this queue never holds them
    throw new FailedDeliveryRecordError(`requestContext.condition is ${JSON.stringify(condition)}, not a failure`);
  }
  const response = isObject(record.responsePayload) ? record.responsePayload : undefined;
  const responseContext = isObject(record.responseContext) ? record.responseContext : undefined;
  const error = [
    typeof responseContext?.functionError === "string" ? responseContext.functionError : "",
    typeof response?.errorType === "string" ? response.errorType : "",
    typeof response?.errorMessage === "string" ? response.errorMessage : "",
  ]
    .filter((part) => part !== "")
    .join(": ");
  const base = {
    requestId,
    functionName,
    condition,
    invokeCount: typeof approximateInvokeCount === "number" ? approximateInvokeCount : 0,
    timestamp: typeof record.timestamp === "string" ? record.timestamp : "",
    error,
  } as const;
  if (!("requestPayload" in record) || record.requestPayload === undefined || record.requestPayload === null) {
    return {
      ...base,
      unreplayable:
        "the record holds no request payload (Lambda drops it when the record is too large for the queue): its log events cannot be replayed; read them in the log group around the record's time, and ban by hand with `cloudjail cloud ban` if needed",
    };
  }
  try {
    const decoded = decodeDelivery(record.requestPayload);
    const logGroup = decoded.kind === "data" ? decoded.batch.logGroup : decoded.logGroup;
    const events = decoded.kind === "data" ? decoded.batch.logEvents.length : 0;
    return { ...base, delivery: { payload: record.requestPayload, logGroup, events } };
  } catch (cause) {
    if (!(cause instanceof MalformedPayloadError)) throw cause;
    return { ...base, unreplayable: `the request payload is no CloudWatch Logs delivery: ${cause.message}` };
  }
}

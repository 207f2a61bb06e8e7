// Decoding of CloudWatch Logs subscription deliveries: `{"awslogs": {"data": base64(gzip(JSON))}}`. Everything in
// here is untrusted input: sizes are bounded, every field is checked, and one bad log event is set aside with its
// log group, stream and id instead of failing the batch (a thrown error would make Lambda retry the whole delivery).
import { gunzipSync } from "node:zlib";
import { CloudjailError } from "../../shared/errors.js";

/** One log event of a subscription delivery. */
export interface LogEvent {
  readonly id: string;
  /** Milliseconds since the epoch (CloudWatch's ingestion-side event time). */
  readonly timestamp: number;
  readonly message: string;
}

/** A DATA_MESSAGE delivery. */
export interface LogBatch {
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters: readonly string[];
  readonly logEvents: readonly LogEvent[];
}

/** A log event set aside, with where it came from. */
export interface RejectedEvent {
  readonly eventId: string;
  readonly reason: string;
}

/** What a delivery decodes to: a CONTROL_MESSAGE (a reachability probe, ignored) or data with rejected events. */
export type DecodedDelivery =
  | { readonly kind: "control"; readonly logGroup: string; readonly logStream: string }
  | { readonly kind: "data"; readonly batch: LogBatch; readonly rejected: readonly RejectedEvent[] };

/** A delivery that cannot be decoded at all; names what is known of its origin. */
export class MalformedPayloadError extends CloudjailError {
  override name = "MalformedPayloadError";
  constructor(
    reason: string,
    readonly origin: { readonly logGroup?: string; readonly logStream?: string } = {},
    options?: ErrorOptions,
  ) {
    super(
      `malformed CloudWatch Logs payload (log group ${origin.logGroup ?? "unknown"}, stream ${origin.logStream ?? "unknown"}): ${reason}`,
      options,
    );
  }
}

/** Upper bounds: a subscription delivery is at most about 1 MB of events once unzipped. */
export const MAX_ENCODED_BYTES = 1024 * 1024;
export const MAX_DECODED_BYTES = 8 * 1024 * 1024;
/** CloudWatch Logs caps one event at 256 KiB. */
export const MAX_MESSAGE_LENGTH = 256 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unzip(data: string): unknown {
  if (data.length > MAX_ENCODED_BYTES * 1.4)
    throw new MalformedPayloadError(`awslogs.data is larger than ${MAX_ENCODED_BYTES} bytes`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw new MalformedPayloadError("awslogs.data is not base64");
  let text: string;
  try {
    text = gunzipSync(Buffer.from(data, "base64"), { maxOutputLength: MAX_DECODED_BYTES }).toString("utf8");
  } catch (error) {
    throw new MalformedPayloadError(
      `awslogs.data is not gzip data of at most ${MAX_DECODED_BYTES} bytes`,
      {},
      { cause: error },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedPayloadError("awslogs.data does not hold JSON", {}, { cause: error });
  }
}

/** Last millisecond of the year 9999: the latest time a log event may carry. */
const MAX_TIMESTAMP_MS = 253_402_300_799_999;

function checkEvent(raw: unknown, index: number): LogEvent | RejectedEvent {
  const eventId = isRecord(raw) && typeof raw.id === "string" ? raw.id : `#${index}`;
  if (!isRecord(raw)) return { eventId, reason: "log event is not an object" };
  if (typeof raw.id !== "string" || raw.id.length === 0 || raw.id.length > 128) {
    return { eventId, reason: "log event has no valid id" };
  }
  if (typeof raw.timestamp !== "number" || !Number.isFinite(raw.timestamp)) {
    return { eventId, reason: "log event has no valid timestamp" };
  }
  if (!Number.isInteger(raw.timestamp) || raw.timestamp < 0 || raw.timestamp > MAX_TIMESTAMP_MS) {
    // a time no log can carry (1e20 ms): counting it would date a failure, or a ban, thousands of years ahead
    return {
      eventId,
      reason: `log event timestamp ${raw.timestamp} is out of range (whole milliseconds since 1970, up to the year 9999)`,
    };
  }
  if (typeof raw.message !== "string") return { eventId, reason: "log event has no message text" };
  if (raw.message.length > MAX_MESSAGE_LENGTH) return { eventId, reason: `message longer than ${MAX_MESSAGE_LENGTH}` };
  return { id: raw.id, timestamp: raw.timestamp, message: raw.message };
}

/**
 * Decodes a subscription delivery. Throws MalformedPayloadError when the delivery as a whole is unusable; a bad
 * single event is returned in `rejected` with the reason, the others are kept.
 */
export function decodeDelivery(event: unknown): DecodedDelivery {
  if (!isRecord(event) || !isRecord(event.awslogs) || typeof event.awslogs.data !== "string") {
    throw new MalformedPayloadError("the event has no awslogs.data string");
  }
  const payload = unzip(event.awslogs.data);
  if (!isRecord(payload)) throw new MalformedPayloadError("the payload is not a JSON object");
  const logGroup = typeof payload.logGroup === "string" ? payload.logGroup : undefined;
  const logStream = typeof payload.logStream === "string" ? payload.logStream : undefined;
  const origin = { ...(logGroup ? { logGroup } : {}), ...(logStream ? { logStream } : {}) };
  if (payload.messageType === "CONTROL_MESSAGE")
    return { kind: "control", logGroup: logGroup ?? "", logStream: logStream ?? "" };
  if (payload.messageType !== "DATA_MESSAGE") {
    throw new MalformedPayloadError(`unknown messageType ${JSON.stringify(payload.messageType)}`, origin);
  }
  if (!logGroup || !logStream) throw new MalformedPayloadError("logGroup or logStream missing", origin);
  if (!Array.isArray(payload.logEvents)) throw new MalformedPayloadError("logEvents is not an array", origin);
  const logEvents: LogEvent[] = [];
  const rejected: RejectedEvent[] = [];
  payload.logEvents.forEach((raw, index) => {
    const checked = checkEvent(raw, index);
    if ("reason" in checked) rejected.push(checked);
    else logEvents.push(checked);
  });
  const filters = Array.isArray(payload.subscriptionFilters)
    ? payload.subscriptionFilters.filter((name): name is string => typeof name === "string")
    : [];
  return {
    kind: "data",
    batch: {
      owner: typeof payload.owner === "string" ? payload.owner : "",
      logGroup,
      logStream,
      subscriptionFilters: filters,
      logEvents,
    },
    rejected,
  };
}

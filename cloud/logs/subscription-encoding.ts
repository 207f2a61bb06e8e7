// The inverse of decodeDelivery, as CloudWatch Logs produces deliveries: used to build test fixtures and the bench,
// and by `cloudjail replay` style tools that feed historical events through the ingest handler.
import { gzipSync } from "node:zlib";
import type { LogBatch } from "./subscription-payload.js";

/** A subscription delivery as Lambda receives it. */
export interface SubscriptionEvent {
  readonly awslogs: { readonly data: string };
}

/** Encodes a batch (DATA_MESSAGE) or a CONTROL_MESSAGE the way CloudWatch Logs does: JSON, gzip, base64. */
export function encodeDelivery(
  batch: LogBatch,
  messageType: "DATA_MESSAGE" | "CONTROL_MESSAGE" = "DATA_MESSAGE",
): SubscriptionEvent {
  const payload = { messageType, ...batch };
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString("base64") } };
}

// Loads the CloudWatch Logs subscription fixtures of test/lambdas/events: `*.event.json` files are deliveries exactly
// as Lambda receives them (base64 gzip JSON); `*.payload.json` files are readable payloads, gzipped here at load time.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { encodeDelivery, type SubscriptionEvent } from "../../cloud/logs/subscription-encoding.js";
import type { LogBatch } from "../../cloud/logs/subscription-payload.js";

const eventsDir = fileURLToPath(new URL("../lambdas/events/", import.meta.url));

/** A committed delivery, as received by Lambda. */
export function loadDelivery(name: string): SubscriptionEvent {
  return JSON.parse(readFileSync(`${eventsDir}${name}.event.json`, "utf8")) as SubscriptionEvent;
}

/** A committed readable payload (messageType dropped). */
export function loadPayload(name: string): LogBatch {
  const { messageType: _, ...batch } = JSON.parse(readFileSync(`${eventsDir}${name}.payload.json`, "utf8"));
  return batch as LogBatch;
}

/** A committed readable payload, gzipped and base64-encoded into a delivery. */
export function deliveryFromPayload(name: string): SubscriptionEvent {
  return encodeDelivery(loadPayload(name));
}

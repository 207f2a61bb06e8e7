// Lambda entry point: `cloudjail cloud` (or `aws lambda invoke`) admin commands (see cloud/admin/admin-service.ts).
import type { AdminResponse } from "../cloud/admin/admin-response.js";
import { handleAdminPayload } from "../cloud/admin/admin-service.js";
import type { InvocationContext } from "../cloud/runtime/lambda-log.js";
import { createContainerRuntime, noFilter } from "./container-runtime.js";

const runtime = createContainerRuntime(noFilter);

/** Validates and runs one admin command; bad requests are answered `{ok: false, error}`, not thrown. */
export async function handler(event: unknown, context?: InvocationContext): Promise<AdminResponse> {
  const ready = await runtime;
  ready.beginInvocation(context);
  return handleAdminPayload(ready, event);
}

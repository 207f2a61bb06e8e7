// Lambda entry point: `cloudjail cloud` (or `aws lambda invoke`) admin commands (see cloud/admin/admin-service.ts).
import type { AdminResponse } from "../cloud/admin/admin-response.js";
import { handleAdminPayload } from "../cloud/admin/admin-service.js";
import { createContainerRuntime, noFilter } from "./container-runtime.js";

const runtime = createContainerRuntime(noFilter);

/** Validates and runs one admin command; bad requests are answered `{ok: false, error}`, not thrown. */
export async function handler(event: unknown): Promise<AdminResponse> {
  return handleAdminPayload(await runtime, event);
}

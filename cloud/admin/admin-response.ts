// What the admin Lambda answers: a text a person reads (printed by `cloudjail cloud`) and the same facts as data
// (printed with --json, for scripts). Errors are answers too, so that a bad request does not count as a Lambda failure.

/** The answer of the admin Lambda. */
export type AdminResponse =
  | { readonly ok: true; readonly output: string; readonly data: unknown }
  | { readonly ok: false; readonly error: string; readonly field?: string };

/** True when a decoded Invoke payload has the shape of an AdminResponse. */
export function isAdminResponse(value: unknown): value is AdminResponse {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  if (record.ok === true) return typeof record.output === "string";
  return record.ok === false && typeof record.error === "string";
}

/** The name under which the stack outputs the admin function's name (read by `cloudjail cloud`). */
export const ADMIN_FUNCTION_OUTPUT = "CloudjailAdminFunctionName";

/** The name under which the stack outputs the ingest function's name (read by `cloudjail cloud backfill`). */
export const INGEST_FUNCTION_OUTPUT = "CloudjailIngestFunctionName";

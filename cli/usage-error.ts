import { CloudjailError } from "../shared/errors.js";

/** Wrong command-line arguments: printed without a stack trace, exit code 2. */
export class UsageError extends CloudjailError {
  override name = "UsageError";
}

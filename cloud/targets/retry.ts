// Jittered exponential backoff for AWS control-plane writes. WAF allows about one write per second per account and
// Region and uses optimistic locking; EC2 throttles per account: both want callers that back off and spread out.
//
// One level of retries, ours. The SDK's clients retry throttling and transient faults on their own (3 attempts by
// default); wrapped in our 5 attempts, a throttled call made up to 15 requests, and each of our rounds hammered the
// API three times in a row, which is what a throttled account must not do. Clients whose calls go through withRetry
// are therefore made with ONE_SDK_ATTEMPT, and withRetry retries what the SDK would have (throttling, 5xx, timeouts,
// dropped connections) plus what only we know how to repair (WAF's lock conflicts, by reading again). Our loop is
// the one the tests drive (its waits are injectable), and its attempts are counted in the error it gives up with.

/** How often and how long to retry; `sleep` and `random` are injectable so tests run instantly and repeatably. */
export interface RetryPolicy {
  /** Attempts in total, the first one included. @default 5 */
  readonly maxAttempts?: number;
  /** Upper bound of the first wait in milliseconds; doubles on every retry. @default 250 */
  readonly baseDelayMs?: number;
  /** Cap of any single wait in milliseconds. @default 8000 */
  readonly maxDelayMs?: number;
  /** Waits the given milliseconds. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform random number in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** The error of the last attempt, after every attempt failed with a retryable error. */
export class RetriesExhaustedError extends Error {
  override name = "RetriesExhaustedError";
  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`gave up after ${attempts} attempts: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, retrying only errors that `isRetryable` accepts, waiting a "full jitter" delay
 * (uniform in [0, min(cap, base * 2^n)]) between attempts. Non-retryable errors are thrown at once; after the last
 * attempt a RetriesExhaustedError carries the last error as `cause`.
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  policy: RetryPolicy = {},
): Promise<T> {
  const maxAttempts = Math.max(1, policy.maxAttempts ?? 5);
  const base = policy.baseDelayMs ?? 250;
  const cap = policy.maxDelayMs ?? 8000;
  const sleep = policy.sleep ?? defaultSleep;
  const random = policy.random ?? Math.random;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!isRetryable(error)) throw error;
      if (n >= maxAttempts) throw new RetriesExhaustedError(n, error);
      await sleep(Math.floor(random() * Math.min(cap, base * 2 ** (n - 1))));
    }
  }
}

/** Names of the throttling errors every AWS service may return. */
const throttlingNames = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
]);

/** True for an AWS throttling error (by name, or by the SDK's own `$retryable.throttling` mark). */
export function isThrottlingError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const marked = (error as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true;
  return marked || throttlingNames.has(error.name);
}

/** SDK client settings for the clients whose calls are retried by withRetry: the SDK itself makes one attempt. */
export const ONE_SDK_ATTEMPT = { maxAttempts: 1 } as const;

/** Node.js error codes of a connection that failed or dropped before an answer came. */
const transientNetworkCodes = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN"]);
/** HTTP statuses the SDK's own retry treats as transient. */
const transientStatuses = new Set([500, 502, 503, 504]);

/**
 * True for an error another attempt may fix, as the SDK's standard retry judges it: throttling, errors the service
 * model marks retryable, 5xx answers, timeouts and dropped connections.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (isThrottlingError(error)) return true;
  const sdk = error as { $retryable?: unknown; $metadata?: { httpStatusCode?: number }; code?: unknown };
  if (sdk.$retryable) return true;
  const status = sdk.$metadata?.httpStatusCode;
  if (status !== undefined && transientStatuses.has(status)) return true;
  if (error.name === "TimeoutError" || error.name === "RequestTimeout") return true;
  return typeof sdk.code === "string" && transientNetworkCodes.has(sdk.code);
}

/** Message of any thrown value, for reports. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

// What went wrong when the CLI could not talk to AWS at all, as one sentence and a documented exit code, instead of
// the SDK's error and stack: missing credentials and a missing Region are the user's setup (exit 3), an endpoint
// that cannot be reached is the network (exit 4). Everything else stays an error of its own.

/** Exit codes of `cloudjail cloud` (documented in docs/cloud-mode.md). */
export const CLOUD_EXIT = {
  ok: 0,
  /** The stack refused the command, or a function failed. */
  refused: 1,
  /** Wrong arguments. */
  usage: 2,
  /** No AWS credentials or no Region: fix the local AWS setup. */
  setup: 3,
  /** The AWS endpoint could not be reached (DNS, network, proxy, timeout). */
  unreachable: 4,
} as const;

/** A sentence for the user and the exit code. */
export interface AwsCallProblem {
  readonly message: string;
  readonly exitCode: number;
}

const NETWORK_CODES = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

function codeOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string") return code;
    current = current.cause;
  }
  return undefined;
}

/**
 * Recognises the SDK errors that mean "could not reach AWS" (before any service answered) and says what to do;
 * returns undefined for any other error (a service's own answer, a bug).
 */
export function awsCallProblem(error: unknown, what: string): AwsCallProblem | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === "CredentialsProviderError" || /could not load credentials/i.test(error.message)) {
    return {
      message: `no AWS credentials found to call ${what}: set AWS_PROFILE (after \`aws configure\` or \`aws sso login\`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      exitCode: CLOUD_EXIT.setup,
    };
  }
  if (/region is missing/i.test(error.message)) {
    return {
      message: `no AWS Region set to call ${what}: pass --region (e.g. --region eu-west-1) or set AWS_REGION`,
      exitCode: CLOUD_EXIT.setup,
    };
  }
  const code = codeOf(error);
  if ((code && NETWORK_CODES.has(code)) || error.name === "TimeoutError") {
    return {
      message: `could not reach AWS to call ${what} (${code ?? error.name}: ${error.message.split("\n")[0]}): check the network, proxy and --region`,
      exitCode: CLOUD_EXIT.unreachable,
    };
  }
  return undefined;
}

/**
 * Turns off the AWS SDK's Node.js version notice (printed on stderr by every new process on Node 20), through the
 * SDK's documented variable; a value the user set stays.
 */
export function quietSdkNodeVersionNotice(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED)
    env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
}

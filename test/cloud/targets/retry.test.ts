import { describe, expect, it } from "vitest";
import { isThrottlingError, RetriesExhaustedError, withRetry } from "../../../cloud/targets/retry.js";

function named(name: string): Error {
  const error = new Error(name);
  error.name = name;
  return error;
}

describe("withRetry", () => {
  it("retries retryable errors with full-jitter exponential waits, then succeeds", async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 4) throw named("ThrottlingException");
        return "done";
      },
      isThrottlingError,
      { baseDelayMs: 100, maxDelayMs: 300, random: () => 0.5, sleep: async (ms) => void waits.push(ms) },
    );
    expect(result).toBe("done");
    expect(waits).toEqual([50, 100, 150]);
  });

  it("throws non-retryable errors at once", async () => {
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls++;
        throw named("AccessDeniedException");
      },
      isThrottlingError,
      { sleep: async () => {} },
    );
    await expect(failing).rejects.toThrow("AccessDeniedException");
    expect(calls).toBe(1);
  });

  it("gives up after maxAttempts with the last error as cause", async () => {
    const failing = withRetry(
      async () => {
        throw named("RequestLimitExceeded");
      },
      isThrottlingError,
      { maxAttempts: 3, sleep: async () => {} },
    );
    await expect(failing).rejects.toBeInstanceOf(RetriesExhaustedError);
    await expect(failing).rejects.toMatchObject({ attempts: 3, cause: { name: "RequestLimitExceeded" } });
  });
});

import { describe, expect, it } from "vitest";
import { LambdaLog } from "../../../cloud/runtime/lambda-log.js";
import { metricDimensions, SERVICE_NAME } from "../../../cloud/runtime/runtime-settings.js";

const context = {
  functionName: "cloudjail-ingest",
  awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
  invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:cloudjail-ingest",
  memoryLimitInMB: "512",
};
const traceEnv = { _X_AMZN_TRACE_ID: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" };

function collect(env: NodeJS.ProcessEnv = traceEnv) {
  const lines: string[] = [];
  const log = new LambdaLog(
    SERVICE_NAME,
    (line) => lines.push(line),
    () => Date.UTC(2026, 11, 7, 20, 0, 0, 123),
    env,
  );
  return { log, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>), lines };
}

describe("LambdaLog: Powertools Logger's line shape", () => {
  it("writes Powertools' standard keys first, in its order, then the line's own fields", () => {
    const { log, lines } = collect();
    log.begin(context);
    log.write("info", "ban 192.0.2.1 in sshd", { jail: "sshd", ip: "192.0.2.1" });
    expect(JSON.parse(lines[0]!)).toEqual({
      level: "info",
      message: "ban 192.0.2.1 in sshd",
      timestamp: "2026-12-07T20:00:00.123Z",
      service: "cloudjail",
      cold_start: true,
      function_arn: context.invokedFunctionArn,
      function_memory_size: 512,
      function_name: "cloudjail-ingest",
      function_request_id: context.awsRequestId,
      xray_trace_id: "1-5759e988-bd862e3fe1be46a994272793",
      jail: "sshd",
      ip: "192.0.2.1",
    });
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual([
      "level",
      "message",
      "timestamp",
      "service",
      "cold_start",
      "function_arn",
      "function_memory_size",
      "function_name",
      "function_request_id",
      "xray_trace_id",
      "jail",
      "ip",
    ]);
  });

  it("marks only the container's first invocation as its cold start, and each line with its own request", () => {
    const { log, parsed } = collect();
    log.begin(context);
    log.write("info", "first");
    log.begin({ ...context, awsRequestId: "second-request" });
    log.write("warn", "second");
    expect(parsed().map((line) => [line.cold_start, line.function_request_id])).toEqual([
      [true, context.awsRequestId],
      [false, "second-request"],
    ]);
  });

  it.each([
    ["level", "debug"],
    ["message", "forged"],
    ["service", "other"],
    ["function_request_id", "forged"],
    ["cold_start", false],
    ["timestamp", "1970-01-01T00:00:00.000Z"],
  ])("a field named %s cannot replace the standard key", (key, value) => {
    const { log, parsed } = collect();
    log.begin(context);
    log.write("error", "real", { [key]: value });
    const [line] = parsed();
    expect(line![key]).not.toEqual(value);
    expect(line!.level).toBe("error");
  });

  it("writes what it knows before any context (local runs, tests) and without a trace id", () => {
    const { log, parsed } = collect({});
    log.write("info", "no invocation yet");
    log.begin(undefined);
    log.write("info", "no context");
    expect(parsed()).toEqual([
      { level: "info", message: "no invocation yet", timestamp: "2026-12-07T20:00:00.123Z", service: "cloudjail" },
      {
        level: "info",
        message: "no context",
        timestamp: "2026-12-07T20:00:00.123Z",
        service: "cloudjail",
        cold_start: true,
      },
    ]);
  });
});

describe("metric dimensions", () => {
  it("are the stack and Powertools' service, as the dashboard and alarms read them", () => {
    expect(metricDimensions("prod")).toEqual({ Stack: "prod", service: "cloudjail" });
  });
});

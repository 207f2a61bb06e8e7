import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseCloudArgv, resolveFunctionName, runCloud } from "../../../cli/commands/cloud.js";
import { UsageError } from "../../../cli/usage-error.js";
import { cliBin } from "../../support/cli.js";

// The SDK wraps payloads in a blob adapter; a plain byte array is what the CLI reads from it.
const encode = (value: unknown) =>
  new Uint8Array(Buffer.from(JSON.stringify(value))) as unknown as InvokeCommandOutput["Payload"];

describe("parseCloudArgv", () => {
  it("separates connection options from the admin command", () => {
    expect(parseCloudArgv(["unban", "192.0.2.7", "--all", "--function", "fn", "--region=eu-west-1", "--json"])).toEqual(
      {
        command: { command: "unban", ip: "192.0.2.7", all: true },
        functionName: "fn",
        region: "eu-west-1",
        outputsFile: "cdk-outputs.json",
        json: true,
      },
    );
  });

  it("reads backfill with its jails", () => {
    expect(parseCloudArgv(["backfill"]).command).toEqual({ backfill: {} });
    expect(parseCloudArgv(["backfill", "--jail", "sshd", "--jail=nginx-http-auth", "--jail", "sshd"]).command).toEqual({
      backfill: { jails: ["sshd", "nginx-http-auth"] },
    });
  });

  it.each([
    [["backfill", "sshd"], /backfill: unexpected "sshd"/],
    [["backfill", "--jail"], /--jail must be a jail name/],
    [["backfill", "--jail", "-x"], /--jail must be a jail name/],
    [["ban", "1.2.3.4"], /jail must be a jail name[\s\S]*usage: cloudjail cloud/],
    [["status", "--region", "mars"], /--region must be an AWS Region/],
    [["status", "--function", "a b"], /--function must be a Lambda function name/],
    [["status", "--function"], /--function needs a value/],
  ])("refuses %j with a usage error", (argv, message) => {
    expect(() => parseCloudArgv(argv)).toThrow(UsageError);
    expect(() => parseCloudArgv(argv)).toThrow(message);
  });
});

describe("resolveFunctionName", () => {
  const dir = mkdtempSync(join(tmpdir(), "cloudjail-cli-"));
  const outputs = join(dir, "cdk-outputs.json");
  const base = { command: { command: "status" as const }, json: false, outputsFile: outputs };

  it("prefers --function, then the environment, then the CDK outputs file", () => {
    writeFileSync(outputs, JSON.stringify({ Cloudjail: { CloudjailAdminFunctionName: "from-outputs" } }));
    expect(resolveFunctionName({ ...base, functionName: "flag" }, { CLOUDJAIL_ADMIN_FUNCTION: "env" })).toBe("flag");
    expect(resolveFunctionName(base, { CLOUDJAIL_ADMIN_FUNCTION: "env" })).toBe("env");
    expect(resolveFunctionName(base, {})).toBe("from-outputs");
  });

  it("finds the ingest function for a backfill", () => {
    writeFileSync(
      outputs,
      JSON.stringify({ Cloudjail: { CloudjailAdminFunctionName: "admin", CloudjailIngestFunctionName: "ingest" } }),
    );
    const backfill = { ...base, command: { backfill: {} } };
    expect(resolveFunctionName(backfill, { CLOUDJAIL_ADMIN_FUNCTION: "admin-env" })).toBe("ingest");
    expect(resolveFunctionName(backfill, { CLOUDJAIL_INGEST_FUNCTION: "ingest-env" })).toBe("ingest-env");
    expect(() => resolveFunctionName({ ...backfill, outputsFile: join(dir, "none.json") }, {})).toThrow(
      /no ingest function: pass --function NAME, set CLOUDJAIL_INGEST_FUNCTION/,
    );
  });

  it("asks for --stack when several stacks are deployed, and explains when nothing is found", () => {
    writeFileSync(
      outputs,
      JSON.stringify({ A: { CloudjailAdminFunctionName: "a" }, B: { CloudjailAdminFunctionName: "b" } }),
    );
    expect(() => resolveFunctionName(base, {})).toThrow(/several cloudjail stacks \(A, B\): pick one with --stack/);
    expect(resolveFunctionName({ ...base, stack: "B" }, {})).toBe("b");
    expect(() => resolveFunctionName({ ...base, outputsFile: join(dir, "none.json") }, {})).toThrow(
      /pass --function NAME, set CLOUDJAIL_ADMIN_FUNCTION/,
    );
  });
});

describe("runCloud", () => {
  let lambda: LambdaClient;
  let mock: ReturnType<typeof mockClient>;
  let out: string[];
  let err: string[];
  beforeEach(() => {
    lambda = new LambdaClient({ region: "eu-west-1" });
    mock = mockClient(lambda);
    out = [];
    err = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => out.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => err.push(String(chunk)) > 0);
  });
  afterEach(() => vi.restoreAllMocks());

  it("invokes the admin function with the validated command and prints its answer", async () => {
    mock
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: encode({ ok: true, output: "unbanned 192.0.2.7 in sshd\n", data: {} }) });
    const code = await runCloud(["unban", "192.0.2.7", "--jail", "sshd", "--function", "cloudjail-admin"], lambda);
    expect(code).toBe(0);
    expect(out.join("")).toBe("unbanned 192.0.2.7 in sshd\n");
    const input = mock.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input.FunctionName).toBe("cloudjail-admin");
    expect(input.InvocationType).toBe("RequestResponse");
    expect(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString())).toEqual({
      command: "unban",
      ip: "192.0.2.7",
      jail: "sshd",
    });
  });

  it("prints the data with --json", async () => {
    mock.on(InvokeCommand).resolves({ Payload: encode({ ok: true, output: "x", data: { bans: [] } }) });
    await runCloud(["banned", "--function", "f", "--json"], lambda);
    expect(JSON.parse(out.join(""))).toEqual({ bans: [] });
  });

  it("exits 1 with the stack's reason when the command is refused", async () => {
    mock.on(InvokeCommand).resolves({ Payload: encode({ ok: false, error: "unknown jail nope" }) });
    expect(await runCloud(["status", "nope", "--function", "f"], lambda)).toBe(1);
    expect(err.join("")).toContain("unknown jail nope");
  });

  it("runs a backfill in the ingest function and prints its report", async () => {
    const report = {
      logGroups: [
        {
          logGroup: "/ec2/auth",
          jails: ["sshd"],
          from: 1_763_700_660,
          to: 1_763_701_200,
          events: 5,
          failures: 5,
          duplicates: 0,
          bans: 1,
        },
        {
          logGroup: "/ec2/old",
          jails: ["sshd"],
          from: 1_763_700_660,
          to: 1_763_700_000,
          events: 0,
          failures: 0,
          duplicates: 0,
          bans: 0,
        },
      ],
      bans: [{ jail: "sshd", ip: "192.0.2.20", banUntil: 1_763_704_660 }],
    };
    mock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode(report) });
    expect(await runCloud(["backfill", "--jail", "sshd", "--function", "cloudjail-ingest"], lambda)).toBe(0);
    const input = mock.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input.FunctionName).toBe("cloudjail-ingest");
    expect(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString())).toEqual({ backfill: { jails: ["sshd"] } });
    expect(out.join("")).toBe(
      [
        "/ec2/auth (sshd): 2025-11-21T04:51:00Z to 2025-11-21T05:00:00Z: 5 events, 5 failures (0 counted before), 1 bans",
        "/ec2/old (sshd): nothing to read, the subscription started more than findtime ago",
        "ban 192.0.2.20 in sshd until 2025-11-21T05:57:40Z",
        "",
      ].join("\n"),
    );
    mock.on(InvokeCommand).resolves({ Payload: encode(null) });
    await expect(runCloud(["backfill", "--function", "f"], lambda)).rejects.toThrow(/answered no backfill report/);
  });

  it("reports a crashed function", async () => {
    mock.on(InvokeCommand).resolves({ FunctionError: "Unhandled", Payload: encode({ errorMessage: "boom" }) });
    await expect(runCloud(["status", "--function", "f"], lambda)).rejects.toThrow(
      /admin function f failed \(Unhandled\).*boom/,
    );
  });
});

describe("cloudjail cloud without a usable AWS setup (the built command, as a user runs it)", () => {
  // Nothing may reach a real AWS endpoint or the instance metadata service: an empty home, no profile files, IMDS
  // off, and for the unreachable case an endpoint on a closed loopback port.
  const home = mkdtempSync(join(tmpdir(), "cloudjail-aws-"));
  const bare = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AWS_"))),
    HOME: home,
    TZ: "UTC",
    AWS_CONFIG_FILE: join(home, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ENDPOINT_URL_LAMBDA: "http://127.0.0.1:9",
  };
  const keys = { AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00", AWS_SECRET_ACCESS_KEY: "secret" };

  it.each([
    [
      "no credentials",
      { AWS_REGION: "eu-west-1" },
      3,
      /^cloudjail cloud: no AWS credentials found to call the function f: set AWS_PROFILE/,
    ],
    ["no Region", keys, 3, /^cloudjail cloud: no AWS Region set to call the function f: pass --region/],
    [
      "an unreachable endpoint",
      { ...keys, AWS_REGION: "eu-west-1" },
      4,
      /^cloudjail cloud: could not reach AWS to call the function f \(ECONNREFUSED/,
    ],
  ])("with %s: one sentence, no stack, no SDK notice, exit %s", (_, env, status, message) => {
    const result = spawnSync(process.execPath, [cliBin, "cloud", "status", "--function", "f"], {
      encoding: "utf8",
      env: { ...bare, ...env },
      timeout: 120_000,
    });
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at |NodeVersionSupportWarning/);
    expect(result.status).toBe(status);
  });
});

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseCloudArgv, resolveFunctionName, runCloud } from "../../../cli/commands/cloud.js";
import { UsageError } from "../../../cli/usage-error.js";

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

  it.each([
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

  it("reports a crashed function", async () => {
    mock.on(InvokeCommand).resolves({ FunctionError: "Unhandled", Payload: encode({ errorMessage: "boom" }) });
    await expect(runCloud(["status", "--function", "f"], lambda)).rejects.toThrow(
      /admin function f failed \(Unhandled\).*boom/,
    );
  });
});

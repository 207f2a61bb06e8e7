// Throttling is retried at one level, ours. The real SDK clients talk to a loopback server that throttles every
// request (WAF's JSON protocol, EC2's query protocol) and counts them: a target's 5 attempts must make 5 requests,
// not 5 times the SDK's own 3. The clients the functions create must be set for one SDK attempt.
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EC2Client } from "@aws-sdk/client-ec2";
import { WAFV2Client } from "@aws-sdk/client-wafv2";
import { afterEach, describe, expect, it } from "vitest";
import { memoryAclRuleRegistry } from "../../../cloud/targets/acl-rule-registry.js";
import { NetworkAclTarget } from "../../../cloud/targets/network-acl-target.js";
import { isTransientAwsError, ONE_SDK_ATTEMPT } from "../../../cloud/targets/retry.js";
import { WafIpSetTarget } from "../../../cloud/targets/waf-ip-set-target.js";
import { createAwsClients } from "../../../lambdas/aws-clients.js";

const instant = { sleep: async () => {}, random: () => 0, maxAttempts: 5 };
const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };

/** A loopback endpoint that answers every request with the given throttling error; `requests` lists the actions. */
async function throttlingEndpoint(answer: (request: IncomingMessage, body: string) => [number, string, string]) {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      const target = request.headers["x-amz-target"];
      // WAF: "<action> <set name>" (both sets of a target are read); EC2: the action
      requests.push(target ? `${target} ${JSON.parse(body).Name}` : String(new URLSearchParams(body).get("Action")));
      const [status, type, payload] = answer(request, body);
      response.writeHead(status, { "content-type": type }).end(payload);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { endpoint, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const wafThrottles = (): [number, string, string] => [
  400,
  "application/x-amz-json-1.1",
  JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" }),
];
const ec2Throttles = (): [number, string, string] => [
  503,
  "text/xml",
  "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r-1</RequestID></Response>",
];

describe("throttled target calls are retried at one level", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  const wafTarget = (client: WAFV2Client, maxAttempts: number) =>
    new WafIpSetTarget({
      client,
      scope: "REGIONAL",
      ipv4: { name: "v4", id: "id-v4" },
      ipv6: { name: "v6", id: "id-v6" },
      retry: { ...instant, maxAttempts },
    });

  it("WAF: 5 attempts of ours are 5 requests, and the ban is reported failed with the count", async () => {
    const waf = await throttlingEndpoint(wafThrottles);
    close = waf.close;
    const client = new WAFV2Client({ ...ONE_SDK_ATTEMPT, endpoint: waf.endpoint, region: "us-east-1", credentials });
    const result = await wafTarget(client, 5).add([{ ip: "192.0.2.7", bannedAt: 1 }]);
    const v4 = waf.requests.filter((request) => request.endsWith(" v4"));
    expect(v4).toEqual(Array(5).fill("AWSWAF_20190729.GetIPSet v4"));
    expect(result.failed).toEqual([{ ip: "192.0.2.7", reason: expect.stringMatching(/gave up after 5 attempts/) }]);
  });

  it("WAF: the SDK's default client would have made 3 requests for each of our attempts", async () => {
    const waf = await throttlingEndpoint(wafThrottles);
    close = waf.close;
    const client = new WAFV2Client({ endpoint: waf.endpoint, region: "us-east-1", credentials });
    await wafTarget(client, 1).add([{ ip: "192.0.2.7", bannedAt: 1 }]);
    expect(waf.requests.filter((request) => request.endsWith(" v4"))).toHaveLength(3);
  });

  it("EC2: a throttled DescribeNetworkAcls is tried 5 times in all", async () => {
    const ec2 = await throttlingEndpoint(ec2Throttles);
    close = ec2.close;
    const client = new EC2Client({ ...ONE_SDK_ATTEMPT, endpoint: ec2.endpoint, region: "us-east-1", credentials });
    const target = new NetworkAclTarget({
      client,
      registry: memoryAclRuleRegistry(),
      networkAclIds: ["acl-0be0c0be0c0be0c0b"],
      ruleRange: { first: 1, last: 90 },
      retry: instant,
    });
    const result = await target.add([{ ip: "192.0.2.7", bannedAt: 1 }]);
    expect(ec2.requests).toEqual(Array(5).fill("DescribeNetworkAcls"));
    expect(result.failed.map((failure) => failure.ip)).toEqual(["192.0.2.7"]);
  });
});

describe("the functions' target clients make one SDK attempt", () => {
  it("WAF and EC2 clients from createAwsClients", async () => {
    const clients = await createAwsClients({
      tableName: "t",
      waf: { scope: "REGIONAL", ipv4: { name: "a", id: "1" }, ipv6: { name: "b", id: "2" } },
      nacl: { ids: ["acl-0be0c0be0c0be0c0b"], range: { first: 1, last: 90 }, limit: 20 },
      label: "test",
      announceUnbans: false,
    });
    const waf = typeof clients.wafv2 === "function" ? await clients.wafv2() : clients.wafv2;
    const ec2 = typeof clients.ec2 === "function" ? await clients.ec2() : clients.ec2;
    expect(await waf?.config.maxAttempts()).toBe(1);
    expect(await ec2?.config.maxAttempts()).toBe(1);
  });
});

describe("isTransientAwsError", () => {
  const error = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(name), { name }, extra);
  it.each([
    ["throttling by name", error("ThrottlingException"), true],
    ["a 503", error("ServiceUnavailable", { $metadata: { httpStatusCode: 503 } }), true],
    ["a dropped connection", error("Error", { code: "ECONNRESET" }), true],
    ["a timeout", error("TimeoutError"), true],
    ["marked retryable by the model", error("InternalError", { $retryable: {} }), true],
    ["access denied", error("AccessDeniedException", { $metadata: { httpStatusCode: 403 } }), false],
    ["an entry that exists", error("NetworkAclEntryAlreadyExists", { $metadata: { httpStatusCode: 400 } }), false],
    ["not an error", "ThrottlingException", false],
  ])("%s", (_what, thrown, expected) => {
    expect(isTransientAwsError(thrown)).toBe(expected);
  });
});

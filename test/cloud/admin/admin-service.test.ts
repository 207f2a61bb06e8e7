// The admin commands against the real store (DynamoDB Local) and the targets on fake WAF/EC2 APIs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { handleAdminPayload } from "../../../cloud/admin/admin-service.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../support/dynamodb-local.js";
import { createTestCloud, type TestCloud, testJail } from "../fakes/test-cloud.js";

const deployment = {
  version: 1 as const,
  jails: [
    testJail("sshd", ["/ec2/auth.log"], { ignoreIp: "10.0.0.0/8" }),
    testJail("nginx-http-auth", ["/ec2/nginx/error.log"], { banTime: 3600 }),
  ],
};

describe("admin commands", () => {
  let local: DynamoDbLocal;
  let cloud: TestCloud;
  beforeAll(async () => {
    local = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await local?.stop();
  });
  beforeEach(async () => {
    cloud?.destroy();
    cloud = await createTestCloud(local, deployment);
  });
  const admin = (payload: unknown) => handleAdminPayload(cloud.runtime, payload);

  it("bans by hand, enforces at once in WAF and the network ACL, and shows it in status and banned", async () => {
    const banned = await admin({ command: "ban", ip: "192.0.2.7", jail: "sshd" });
    expect(banned).toMatchObject({
      ok: true,
      output: expect.stringMatching(/^banned 192\.0\.2\.7 in sshd until .*\nenforced in: waf:.*nacl:/),
    });
    await admin({ command: "ban", ip: "2001:DB8::7", jail: "nginx-http-auth", bantime: "2h" });
    expect(cloud.enforced()).toEqual({
      ipv4: ["192.0.2.7/32"],
      ipv6: ["2001:db8::7/128"],
      nacl: ["192.0.2.7/32", "2001:db8::7/128"],
    });
    const status = await admin({ command: "status" });
    expect(status).toMatchObject({
      ok: true,
      data: {
        jails: [
          { name: "sshd", currentlyBanned: 1 },
          { name: "nginx-http-auth", currentlyBanned: 1 },
        ],
      },
    });
    if (!status.ok) throw new Error();
    expect(status.output).toContain("Jail list:\tsshd, nginx-http-auth");
    const jail = await admin({ command: "status", jail: "nginx-http-auth" });
    expect(jail).toMatchObject({ ok: true, data: { currentlyBanned: 1, bannedIps: ["2001:db8::7"] } });
    const list = await admin({ command: "banned" });
    expect(list).toMatchObject({
      ok: true,
      data: {
        bans: expect.arrayContaining([expect.objectContaining({ ip: "2001:db8::7", until: cloud.clock.now + 7200 })]),
      },
    });
  });

  it("unbans in one jail or in all, and lifts the target entries", async () => {
    await admin({ command: "ban", ip: "192.0.2.7", jail: "sshd" });
    await admin({ command: "ban", ip: "192.0.2.7", jail: "nginx-http-auth" });
    const one = await admin({ command: "unban", ip: "192.0.2.7", jail: "sshd" });
    expect(one).toMatchObject({ ok: true, output: expect.stringContaining("still banned by another jail") });
    expect(cloud.enforced().ipv4).toEqual(["192.0.2.7/32"]);
    const all = await admin({ command: "unban", ip: "192.0.2.7", all: true });
    expect(all).toMatchObject({ ok: true, data: { unbannedIn: ["nginx-http-auth"] } });
    expect(cloud.enforced()).toEqual({ ipv4: [], ipv6: [], nacl: [] });
    expect(await admin({ command: "unban", ip: "192.0.2.7", all: true })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not banned/),
    });
  });

  it("answers bad requests with the reason and the field, without throwing", async () => {
    expect(await admin({ command: "ban", ip: "192.0.2.7", jail: "ftp" })).toEqual({
      ok: false,
      error: 'unknown jail "ftp" (jails: sshd, nginx-http-auth)',
      field: "jail",
    });
    expect(await admin({ command: "ban", ip: "10.1.1.1", jail: "sshd" })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/ignoreip/),
    });
    expect(await admin({ command: "rm -rf" })).toMatchObject({ ok: false, field: "command" });
    expect(await admin("status")).toMatchObject({ ok: false });
    expect(cloud.waf.successfulWrites).toBe(0);
  });
});

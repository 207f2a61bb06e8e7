import { describe, expect, it } from "vitest";
import { AdminCommandError, parseAdminArgs, validateAdminPayload } from "../../../cloud/admin/admin-command.js";

describe("parseAdminArgs", () => {
  it.each([
    ["status", { command: "status" }],
    ["status sshd", { command: "status", jail: "sshd" }],
    ["banned", { command: "banned" }],
    ["ban 192.0.2.7 --jail sshd", { command: "ban", ip: "192.0.2.7", jail: "sshd" }],
    [
      "ban 2001:DB8::7 --jail=nginx-http-auth --bantime 1h",
      { command: "ban", ip: "2001:db8::7", jail: "nginx-http-auth", bantime: 3600 },
    ],
    ["ban 192.0.2.7 --jail sshd --bantime -1", { command: "ban", ip: "192.0.2.7", jail: "sshd", bantime: -1 }],
    ["ban 192.0.2.7 --bantime 2d --jail sshd", { command: "ban", ip: "192.0.2.7", jail: "sshd", bantime: 172800 }],
    ["unban 192.0.2.7 --jail sshd", { command: "unban", ip: "192.0.2.7", jail: "sshd" }],
    ["unban 192.0.2.7 --all", { command: "unban", ip: "192.0.2.7", all: true }],
  ])("%s", (line, expected) => {
    expect(parseAdminArgs(line.split(" "))).toEqual(expected);
  });

  it.each([
    ["", /command must be one of/],
    ["stop", /command must be one of status, banned, ban, unban, got "stop"/],
    ["status a b", /wrong number of arguments/],
    ["banned sshd", /wrong number of arguments/],
    ["ban 192.0.2.7", /jail must be a jail name.*got nothing/],
    ["ban --jail sshd", /wrong number of arguments/],
    ["ban 192.0.2.999 --jail sshd", /ip must be an IPv4 or IPv6 address, got "192.0.2.999"/],
    ["ban example.com --jail sshd", /ip must be an IPv4 or IPv6 address/],
    ["ban 192.0.2.7 --jail ../etc", /jail must be a jail name/],
    ["ban 192.0.2.7 --jail sshd;rm", /jail must be a jail name/],
    ["ban 192.0.2.7 --jail sshd --bantime 0", /bantime must be whole seconds: -1 \(permanent\) or from 1 second/],
    ["ban 192.0.2.7 --jail sshd --bantime 20y", /bantime must be whole seconds/],
    ["ban 192.0.2.7 --jail sshd --bantime -1.4", /bantime must be whole seconds: -1 \(permanent\).*got "-1.4"/],
    ["ban 192.0.2.7 --jail sshd --bantime 0.5s", /bantime must be whole seconds/],
    ["ban 0.0.0.0 --jail sshd", /ip 0\.0\.0\.0 cannot be banned: it is the unspecified address/],
    ["ban 192.0.2.7 --jail sshd --bantime soon", /bantime: invalid time "soon"/],
    ["ban 192.0.2.7 --jail sshd --jail ssh", /--jail given twice/],
    ["ban 192.0.2.7 --jail", /--jail needs a value/],
    ["ban 192.0.2.7 --jail sshd --force", /unknown option --force/],
    ["unban 192.0.2.7", /unban needs a jail or all: true/],
    ["unban 192.0.2.7 --jail sshd --all", /either a jail or all, not both/],
    ["unban 192.0.2.7 --all=yes", /--all takes no value/],
  ])("refuses %j", (line, message) => {
    const words = line === "" ? [] : line.split(" ");
    expect(() => parseAdminArgs(words)).toThrow(AdminCommandError);
    expect(() => parseAdminArgs(words)).toThrow(message);
  });
});

describe("validateAdminPayload", () => {
  it("accepts numbers and fail2ban durations for bantime", () => {
    expect(validateAdminPayload({ command: "ban", ip: "192.0.2.7", jail: "sshd", bantime: 600 })).toMatchObject({
      bantime: 600,
    });
    expect(validateAdminPayload({ command: "ban", ip: "192.0.2.7", jail: "sshd", bantime: "1h30m" })).toMatchObject({
      bantime: 5400,
    });
    expect(validateAdminPayload({ command: "ban", ip: "192.0.2.7", jail: "sshd", bantime: -1 })).toMatchObject({
      bantime: -1,
    });
    // addresses next to the refused networks are bannable; an unban of any address is allowed (to lift a mistake)
    for (const ip of ["1.0.0.1", "126.255.255.255", "169.253.0.1", "223.255.255.255", "2001:db8::1", "fe00::1"]) {
      expect(validateAdminPayload({ command: "ban", ip, jail: "sshd" })).toMatchObject({ ip });
    }
    expect(validateAdminPayload({ command: "unban", ip: "0.0.0.0", all: true })).toMatchObject({ ip: "0.0.0.0" });
  });

  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    ["status", /JSON object/],
    [{ command: "status", extra: 1 }, /unknown field "extra" for status/],
    [{ command: "banned", jail: "sshd" }, /unknown field "jail" for banned/],
    [{ command: "ban", ip: 3232235521, jail: "sshd" }, /ip must be an IPv4 or IPv6 address, got 3232235521/],
    [{ command: "ban", ip: "192.0.2.7", jail: ["sshd"] }, /jail must be a jail name.*an array/],
    [{ command: "ban", ip: "192.0.2.7", jail: "sshd", bantime: Number.NaN }, /bantime must be whole seconds/],
    [{ command: "ban", ip: "192.0.2.7", jail: "sshd", bantime: -1.4 }, /bantime must be whole seconds.*got -1.4/],
    [{ command: "ban", ip: "192.0.2.7", jail: "sshd", bantime: 600.5 }, /bantime must be whole seconds/],
    [{ command: "ban", ip: "0.0.0.0", jail: "sshd" }, /0\.0\.0\.0 cannot be banned: it is the unspecified/],
    [{ command: "ban", ip: "::", jail: "sshd" }, /:: cannot be banned: it is the unspecified address/],
    [{ command: "ban", ip: "255.255.255.255", jail: "sshd" }, /cannot be banned: it is reserved or the broadcast/],
    [{ command: "ban", ip: "169.254.169.254", jail: "sshd" }, /cannot be banned: it is link-local .*metadata/],
    [{ command: "ban", ip: "fd00:ec2::254", jail: "sshd" }, /cannot be banned: it is the instance metadata/],
    [{ command: "ban", ip: "127.0.0.1", jail: "sshd" }, /cannot be banned: it is a loopback address/],
    [{ command: "ban", ip: "::1", jail: "sshd" }, /cannot be banned: it is the loopback address/],
    [{ command: "ban", ip: "::ffff:127.0.0.1", jail: "sshd" }, /127\.0\.0\.1 cannot be banned/],
    [{ command: "ban", ip: "224.0.0.251", jail: "sshd" }, /cannot be banned: it is a multicast address/],
    [{ command: "ban", ip: "ff02::1", jail: "sshd" }, /cannot be banned: it is a multicast address/],
    [{ command: "ban", ip: "fe80::1", jail: "sshd" }, /cannot be banned: it is link-local/],
    [{ command: "ban", ip: "192.0.2.7", jail: "sshd", bantime: true }, /bantime must be a duration/],
    [{ command: "unban", ip: "192.0.2.7", all: false }, /all must be true/],
    [{ command: "ban", ip: " 192.0.2.7", jail: "sshd" }, /ip must be/],
    [{ command: "ban", ip: "192.0.2.0/24", jail: "sshd" }, /ip must be/],
    [{ command: "__proto__" }, /command must be one of/],
  ])("refuses %j", (payload, message) => {
    expect(() => validateAdminPayload(payload)).toThrow(message);
  });

  it("names the offending field", () => {
    try {
      validateAdminPayload({ command: "ban", ip: "nope", jail: "sshd" });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ name: "AdminCommandError", field: "ip" });
    }
  });
});

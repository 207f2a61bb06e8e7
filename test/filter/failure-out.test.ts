// The --out forms of a failure (fail2ban-regex's -o): parsed from their text, and written as fail2ban-regex writes
// them. The reference test (test/cli/regex-out.reference.test.ts) compares whole outputs with fail2ban-regex's.
import { describe, expect, it } from "vitest";
import type { Failure } from "../../shared/filter/failure.js";
import { formatFailure, OutFormatError, parseOutFormat } from "../../shared/filter/failure-out.js";

const failure = (over: Partial<Failure> = {}): Failure => ({
  regexIndex: 0,
  id: "2001:db8::7",
  isHostName: false,
  time: 1124013600.25,
  matches: ["Aug 14 12:00:00 gw sshd[7]: first line", "Aug 14 12:00:00 gw sshd[7]: second line"],
  fields: { user: "root", users: ["root", "o'brien"], ip6: "2001:db8:0::7" },
  nofail: false,
  ...over,
});

describe("parseOutFormat", () => {
  it.each([
    ["json", { kind: "json" }],
    ["fid", { kind: "id" }],
    ["id", { kind: "id" }],
    ["ip", { kind: "ip" }],
    ["msg", { kind: "msg" }],
    ["user", { kind: "field", name: "user" }],
    ["<fid>-<user>", { kind: "template", parts: [{ tag: "fid" }, { text: "-<user>" }] }],
  ])("%s", (text, format) => expect(parseOutFormat(text)).toEqual(format));

  it.each([["row"], ["<ip-host>"], ["<fid> <bancount>"], ["<jail.found>"]])("refuses %s", (text) => {
    expect(() => parseOutFormat(text)).toThrow(OutFormatError);
  });
});

describe("formatFailure", () => {
  it.each([
    ["id", "2001:db8::7\n"],
    ["user", "root\n"],
    ["users", "{'root', 'o\\'brien'}\n"],
    ["port", "None\n"],
    [
      "<time> <family> <ip-rev>",
      `1124013600.25 inet6 7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.\n`,
    ],
    [
      "[<msg>] <F-USER><F-NONE>",
      "[Aug 14 12:00:00 gw sshd[7]: first line] root\n[Aug 14 12:00:00 gw sshd[7]: second line] root\n",
    ],
  ])("%s", (text, printed) => expect(formatFailure(parseOutFormat(text), 3, failure())).toBe(printed));

  it("takes the address captured beside a failure id for ip, and writes a whole second as Python does", () => {
    const withId = failure({ id: "session-42", ip: "192.0.2.9", time: 1124013600 });
    expect(formatFailure(parseOutFormat("<fid> <ip> <family> <time>"), 1, withId)).toBe(
      "session-42 192.0.2.9 inet4 1124013600.0\n",
    );
    expect(formatFailure(parseOutFormat("ip"), 1, withId)).toBe("192.0.2.9\n");
  });
});

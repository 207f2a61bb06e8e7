import { describe, expect, it } from "vitest";
import { parseReplayArgs } from "../../cli/replay/replay-args.js";

describe("parseReplayArgs", () => {
  it.each([
    [["a.log"], { logs: ["a.log"], jails: [], sqlitePath: undefined, out: undefined }],
    [
      ["--jail", "sshd", "--jail", "nginx-http-auth", "a.log", "b.log"],
      { jails: ["sshd", "nginx-http-auth"], logs: ["a.log", "b.log"] },
    ],
    [["--store", "sqlite:/tmp/x.db", "--out", "json", "a.log"], { sqlitePath: "/tmp/x.db", out: "json" }],
    [["--now", "2024-06-01T10:00:00Z", "a.log"], { now: 1717236000 }],
    [
      ["--log-group", "/aws/ec2/auth", "--since", "2h", "--region", "eu-west-1"],
      { logs: [], logGroups: ["/aws/ec2/auth"], sinceSeconds: 7200, region: "eu-west-1" },
    ],
    [["--help"], { help: true }],
  ])("%j", (argv, expected) => {
    expect(parseReplayArgs(argv)).toMatchObject(expected);
  });

  it.each([
    [[], /expected at least one LOG or --log-group/],
    [["--log-group", "bad group!"], /is not a log group name/],
    [["--log-group", "/aws/x", "--since", "soon"], /--since/],
    [["--store", "/tmp/x.db", "a"], /--store must be sqlite:PATH/],
    [["--jail", "a b", "x"], /is not a jail name/],
    [["--out", "yaml", "x"], /--out supports only 'json'/],
    [["--now", "soon", "x"], /--now must be an ISO-8601/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseReplayArgs(argv)).toThrow(message);
  });
});

import { describe, expect, it } from "vitest";
import { capturedFields, ticketOf } from "../../../host/daemon/jail-pipeline.js";

describe("tickets for actions", () => {
  it("offer the filter's captured groups as F-* tags, strings only", () => {
    const fields = capturedFields({
      regexIndex: 0,
      id: "192.0.2.7",
      isHostName: false,
      time: 1,
      matches: [],
      fields: { user: "root; rm -rf /", port: "22", users: ["a", "b"], missing: undefined },
      nofail: false,
    });
    expect(fields).toEqual({ "F-USER": "root; rm -rf /", "F-PORT": "22" });
  });

  it("carry the ban's numbers and lines", () => {
    const ticket = ticketOf({
      kind: "ban",
      time: 100,
      jail: "sshd",
      ip: "192.0.2.7",
      fid: "192.0.2.7",
      failures: 5,
      banTime: 600,
      banUntil: 700,
      permanent: false,
      banCount: 2,
      matches: ["line"],
    });
    expect(ticket).toEqual({
      ip: "192.0.2.7",
      fid: "192.0.2.7",
      failures: 5,
      time: 100,
      bantime: 600,
      banCount: 2,
      matches: ["line"],
      restored: false,
    });
  });
});

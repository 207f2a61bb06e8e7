import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodeDelivery } from "../../../cloud/logs/subscription-encoding.js";
import { decodeDelivery, MalformedPayloadError } from "../../../cloud/logs/subscription-payload.js";
import { deliveryFromPayload, loadDelivery, loadPayload } from "../../support/cloudwatch-events.js";

const wrap = (raw: Buffer | string) => ({
  awslogs: { data: (typeof raw === "string" ? gzipSync(raw) : raw).toString("base64") },
});

describe("decodeDelivery", () => {
  it("decodes a committed delivery (base64 gzip JSON)", () => {
    const decoded = decodeDelivery(loadDelivery("sshd-auth"));
    expect(decoded.kind).toBe("data");
    if (decoded.kind !== "data") return;
    expect(decoded.batch.logGroup).toBe("/ec2/web/auth.log");
    expect(decoded.batch.logStream).toBe("i-0123456789abcdef0");
    expect(decoded.batch.logEvents).toHaveLength(4);
    expect(decoded.batch.logEvents[0]).toEqual({
      id: expect.stringMatching(/^3/),
      timestamp: 1763701201000,
      message: "Nov 21 05:00:01 web1 sshd[2101]: Failed password for root from 192.0.2.10 port 50022 ssh2",
    });
    expect(decoded.rejected).toEqual([]);
  });

  it("round-trips a payload through the encoder", () => {
    const decoded = decodeDelivery(deliveryFromPayload("sshd-auth"));
    expect(decoded).toEqual({ kind: "data", batch: loadPayload("sshd-auth"), rejected: [] });
  });

  it("recognizes the CONTROL_MESSAGE probe", () => {
    expect(decodeDelivery(loadDelivery("control")).kind).toBe("control");
  });

  it("sets bad events aside with their id and keeps the good ones", () => {
    const decoded = decodeDelivery(deliveryFromPayload("bad-events"));
    if (decoded.kind !== "data") throw new Error("expected data");
    expect(decoded.batch.logEvents.map((e) => e.message)).toHaveLength(2);
    expect(decoded.rejected).toEqual([
      {
        eventId: "36000000000000000000000000000000000000000000000000000001",
        reason: "log event has no valid timestamp",
      },
      { eventId: "36000000000000000000000000000000000000000000000000000002", reason: "log event has no message text" },
    ]);
  });

  it.each([
    [1e20, /timestamp 100000000000000000000 is out of range/],
    [1763701201000.5, /timestamp 1763701201000.5 is out of range/],
    [-1, /timestamp -1 is out of range/],
    [253_402_300_800_000, /out of range .*year 9999/],
  ])("sets aside an event whose timestamp is %d", (timestamp, reason) => {
    const event = (id: string, time: number) => ({ id, timestamp: time, message: "x" });
    const payload = {
      messageType: "DATA_MESSAGE",
      logGroup: "/g",
      logStream: "s",
      logEvents: [event("1", timestamp), event("2", 1763701201000)],
    };
    const decoded = decodeDelivery(wrap(JSON.stringify(payload)));
    if (decoded.kind !== "data") throw new Error("expected data");
    expect(decoded.batch.logEvents.map((e) => e.id)).toEqual(["2"]);
    expect(decoded.rejected).toEqual([{ eventId: "1", reason: expect.stringMatching(reason) }]);
  });

  it.each([
    ["no awslogs", {}, /no awslogs.data/],
    ["not base64", { awslogs: { data: "%%%" } }, /not base64/],
    ["not gzip", wrap(Buffer.from("plain text")), /not gzip/],
    ["not JSON", wrap("{nope"), /does not hold JSON/],
    ["not an object", wrap("[1,2]"), /not a JSON object/],
    [
      "unknown type",
      wrap(JSON.stringify({ messageType: "X", logGroup: "/g", logStream: "s" })),
      /log group \/g, stream s.*unknown messageType "X"/,
    ],
    [
      "no events",
      wrap(JSON.stringify({ messageType: "DATA_MESSAGE", logGroup: "/g", logStream: "s" })),
      /logEvents is not an array/,
    ],
  ])("rejects a delivery with %s, saying where", (_, event, message) => {
    expect(() => decodeDelivery(event)).toThrow(MalformedPayloadError);
    expect(() => decodeDelivery(event)).toThrow(message);
  });

  it("refuses a gzip bomb", () => {
    const bomb = wrap(gzipSync(Buffer.alloc(64 * 1024 * 1024, 32)));
    expect(() => decodeDelivery(bomb)).toThrow(/at most/);
  });

  it("encodes control messages like CloudWatch", () => {
    const event = encodeDelivery(
      { owner: "CloudwatchLogs", logGroup: "", logStream: "", subscriptionFilters: [], logEvents: [] },
      "CONTROL_MESSAGE",
    );
    expect(decodeDelivery(event).kind).toBe("control");
  });
});

// The JSON line of a failure is written by hand for speed: it must be exactly what JSON.stringify of the record
// {line, ip, fid, time, ...fields} gives, for every shape of failure.
import { describe, expect, it } from "vitest";
import type { Failure } from "../../shared/filter/failure.js";
import { failureJson, isReportedFailure } from "../../shared/filter/failure-json.js";

function reference(lineNumber: number, failure: Failure): string {
  const record: Record<string, unknown> = {
    line: lineNumber,
    ip: failure.ip ?? failure.id,
    fid: failure.id,
    time: failure.time ?? null,
    ...(failure.host !== undefined ? { host: failure.host } : {}),
  };
  for (const [key, value] of Object.entries(failure.fields)) {
    if (value !== undefined && !(key in record) && key !== "ip4" && key !== "ip6" && key !== "dns") record[key] = value;
  }
  return JSON.stringify(record);
}

function failure(overrides: Partial<Failure>): Failure {
  return {
    regexIndex: 0,
    id: "192.0.2.1",
    isHostName: false,
    time: 1_700_000_000,
    matches: [],
    fields: {},
    nofail: false,
    ...overrides,
  };
}

describe("failureJson", () => {
  it.each([
    ["a plain failure", failure({ fields: { ip4: "192.0.2.1", user: "root", port: undefined } })],
    ["an id and an address", failure({ id: "alice", ip: "2001:db8::1", fields: { fid: "alice", ip6: "2001:db8::1" } })],
    ["no time", failure({ time: undefined })],
    ["a fractional time", failure({ time: 1_700_000_000.25 })],
    ["a time that is no number", failure({ time: Number.NaN })],
    ["an infinite time", failure({ time: Number.POSITIVE_INFINITY })],
    ["a negative zero time", failure({ time: -0 })],
    ["a huge time", failure({ time: 1e21 })],
    ["session users", failure({ fields: { mlfid: " host sshd[1]: ", users: ["root", 'adm"in'], dns: "x" } })],
    ["quotes, controls and non-ASCII", failure({ id: 'a"b\\c', fields: { user: "\u0000\n\u2028é😀\ud800" } })],
    [
      "lists with escapes, pairs and lone surrogates",
      failure({ fields: { users: ["😀", "\udc00x", "\t"], none: [] } }),
    ],
    ["an id with a control character", failure({ id: "a\u001fb", ip: "\u007f" })],
    ["fields named like the leading keys", failure({ fields: { line: "7", ip: "x", fid: "y", time: "z" } })],
    ["a host as written", failure({ id: "2001:db8::1", host: "2001:DB8::1", fields: { ip6: "2001:DB8::1" } })],
    ["a host and a captured field named host", failure({ host: "192.0.2.1", fields: { host: "h", user: "u" } })],
    ["no host, a captured field named host", failure({ fields: { host: "h" } })],
    ["fields named like Object members", failure({ fields: { constructor: "c", toString: "t", valueOf: "v" } })],
  ])("%s", (_name, value) => {
    expect(failureJson(42, value)).toBe(reference(42, value));
  });

  it("reports real failures with an id only", () => {
    expect(isReportedFailure(failure({}))).toBe(true);
    expect(isReportedFailure(failure({ nofail: true }))).toBe(false);
    expect(isReportedFailure(failure({ id: "" }))).toBe(false);
  });
});

// The JSON form of a failure, one object per line, as `cloudjail regex --out json` prints it. It lives beside the
// engine so that the filter worker can write a batch's output itself: text crosses threads far cheaper than objects.
import type { Failure } from "./failure.js";

/** Characters JSON.stringify escapes: quotes, backslashes, controls, and surrogates (a lone one is escaped). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify of a string, without its cost for the common plain text. */
function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/** JSON.stringify of a number: its shortest text, null for NaN and the infinities (no call into the serializer). */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? `${value}` : "null";
}

/** JSON.stringify of a field value (a string or a list of strings). */
function jsonValue(value: string | readonly string[]): string {
  if (typeof value === "string") return jsonString(value);
  let out = "[";
  for (let i = 0; i < value.length; i++) out += `${i > 0 ? "," : ""}${jsonString(value[i] as string)}`;
  return `${out}]`;
}

/** Groups shown through `ip`/`fid` already, left out of the captured fields. */
function isAddressGroup(key: string): boolean {
  return key === "ip4" || key === "ip6" || key === "dns";
}

/**
 * `{"line": N, "ip": ..., "fid": ..., "time": ..., "host": ..., ...captured fields}` for a failure reported at log
 * line `lineNumber` (1-based). `ip` and `fid` are canonical (what a jail counts and bans); `host` is the captured host
 * as the log wrote it with raw hosts (`--raw`), else canonical, and is left out for a failure known by its id alone.
 * Fields that are unset, or that would shadow the leading keys, are left out.
 */
export function failureJson(lineNumber: number, failure: Failure): string {
  // written out rather than through a record object: the same text as JSON.stringify of
  // {line, ip, fid, time, host, ...fields}, for a fraction of the cost on the hot path of `cloudjail regex`
  let out = `{"line":${jsonNumber(lineNumber)},"ip":${jsonString(failure.ip ?? failure.id)},"fid":${jsonString(
    failure.id,
  )},"time":${failure.time === undefined ? "null" : jsonNumber(failure.time)}`;
  const host = failure.host;
  if (host !== undefined) out += `,"host":${jsonString(host)}`;
  const fields = failure.fields;
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined || isLeadingKey(key) || isAddressGroup(key) || (key === "host" && host !== undefined))
      continue;
    out += `,${jsonString(key)}:${jsonValue(value)}`;
  }
  return `${out}}`;
}

/**
 * Keys a field may not take: the leading keys, and what every object has (a record built key by key would never
 * show these either: `__proto__` sets the prototype, the others already exist).
 */
function isLeadingKey(key: string): boolean {
  return key === "line" || key === "ip" || key === "fid" || key === "time" || key in Object.prototype;
}

/** Whether a failure is printed: real failures (not F-NOFAIL) with an id. */
export function isReportedFailure(failure: Failure): boolean {
  return !failure.nofail && failure.id !== "";
}

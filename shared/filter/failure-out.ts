// The forms of `cloudjail regex --out FORMAT` (fail2ban-regex's -o): our JSON object per failure, or what
// fail2ban-regex prints: the failure id, the address, the matched lines, one captured field, or a template of tags
// (`<fid> <time>`). Pure, beside the engine, so that the filter worker writes a file's output text itself.
import { CloudjailError } from "../errors.js";
import { parseIp } from "../net/ip.js";
import type { Failure } from "./failure.js";
import { failureJson } from "./failure-json.js";

/** A tag of an output template, or text between tags. */
type TemplatePart = { readonly text: string } | { readonly tag: string };

/** What one failure prints as (see parseOutFormat). */
export type OutFormat =
  | { readonly kind: "json" }
  | { readonly kind: "id" }
  | { readonly kind: "ip" }
  | { readonly kind: "msg" }
  | { readonly kind: "field"; readonly name: string }
  | { readonly kind: "template"; readonly parts: readonly TemplatePart[] };

/** An --out format that cannot be printed; the message says why. */
export class OutFormatError extends CloudjailError {
  override name = "OutFormatError";
}

/** Tags fail2ban-regex fills from a jail, its database or DNS: a test of a filter has none of them. */
const JAIL_TAGS = new Set([
  "ip-host",
  "bantime",
  "bancount",
  "ipmatches",
  "ipjailmatches",
  "ipfailures",
  "ipjailfailures",
  "restored",
  "raw-ticket",
  "jail.banned",
  "jail.banned_total",
  "jail.found",
  "jail.found_total",
]);
/** Tags a template fills from the failure itself. */
const FAILURE_TAGS = new Set(["fid", "ip", "family", "ip-rev", "time", "failures", "matches", "msg"]);

/**
 * Parses FORMAT as fail2ban-regex reads its -o: `json` (ours), `id` or `fid`, `ip`, `msg` (the matched lines), a
 * template when it holds a `<`, else the name of a captured field. Throws OutFormatError for `row` (a Python repr of
 * fail2ban's internal match data) and for template tags that need a jail, its database or DNS.
 *
 * @example
 * parseOutFormat("<fid> <time>") // { kind: "template", parts: [{tag: "fid"}, {text: " "}, {tag: "time"}] }
 */
export function parseOutFormat(format: string): OutFormat {
  switch (format) {
    case "json":
      return { kind: "json" };
    case "id":
    case "fid":
      return { kind: "id" };
    case "ip":
      return { kind: "ip" };
    case "msg":
      return { kind: "msg" };
    case "row":
      throw new OutFormatError("'row' prints fail2ban's internal match data as Python writes it; use --out json");
  }
  if (!format.includes("<")) return { kind: "field", name: format };
  const parts: TemplatePart[] = [];
  let at = 0;
  for (const match of format.matchAll(/<([^<>\s]+)>/g)) {
    const tag = match[1]!;
    if (JAIL_TAGS.has(tag)) {
      throw new OutFormatError(`<${tag}> needs a running jail (or DNS), which cloudjail regex has not`);
    }
    // like fail2ban, a tag it does not know stays as written
    if (!FAILURE_TAGS.has(tag) && !tag.startsWith("F-")) continue;
    if (match.index > at) parts.push({ text: format.slice(at, match.index) });
    parts.push({ tag });
    at = match.index + match[0].length;
  }
  if (at < format.length) parts.push({ text: format.slice(at) });
  return { kind: "template", parts };
}

/** Whether failures must carry their matched lines for this format. */
export function needsMatches(format: OutFormat): boolean {
  if (format.kind === "msg") return true;
  return format.kind === "template" && format.parts.some((p) => "tag" in p && (p.tag === "matches" || p.tag === "msg"));
}

/** Python's repr of a float, as fail2ban-regex prints a time: `1124013600.0`, `1124013600.25`. */
function pythonFloat(value: number): string {
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

/** A captured value as Python prints it: None when unset; a list of users as the set fail2ban keeps. */
function pythonValue(value: string | readonly string[] | undefined): string {
  if (value === undefined) return "None";
  if (typeof value === "string") return value;
  return `{${value.map((v) => `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`).join(", ")}}`;
}

/** The address of a failure as fail2ban's tags see it: the one captured beside the id, else the id. */
function addressOf(failure: Failure): string {
  return failure.ip ?? failure.id;
}

/** A tag's value for one failure (see parseOutFormat); `msg` is handled by the caller. */
function tagValue(tag: string, failure: Failure): string {
  switch (tag) {
    case "fid":
      return failure.id;
    case "ip":
      return addressOf(failure);
    case "family": {
      const ip = parseIp(addressOf(failure));
      return ip ? `inet${ip.family}` : "";
    }
    case "ip-rev":
      return reversePointer(addressOf(failure));
    case "time":
      return failure.time === undefined ? "None" : pythonFloat(failure.time);
    case "failures":
      // a failure found by a test run is no ticket yet: fail2ban-regex shows its attempts as 0
      return "0";
    case "matches":
      return failure.matches.join("\n");
  }
  // <F-NAME>: the captured group `name` (fail2ban's ticket data), empty when the failure has none
  const value = failure.fields[tag.slice(2).toLowerCase()];
  return value === undefined ? "" : typeof value === "string" ? value : pythonValue(value);
}

/** The reverse-DNS name of an address without its zone (`7.2.0.192.`), as fail2ban's `<ip-rev>`; "" for none. */
function reversePointer(address: string): string {
  const ip = parseIp(address);
  if (!ip) return "";
  if (ip.family === 4) return `${ip.text.split(".").reverse().join(".")}.`;
  return `${[...ip.value.toString(16).padStart(32, "0")].reverse().join(".")}.`;
}

/**
 * The output of one reported failure found at log line `lineNumber`, each printed line ending with "\n". A template
 * with `<msg>` prints one line per matched log line, as fail2ban-regex does.
 */
export function formatFailure(format: OutFormat, lineNumber: number, failure: Failure): string {
  switch (format.kind) {
    case "json":
      return `${failureJson(lineNumber, failure)}\n`;
    case "id":
      return `${failure.id}\n`;
    case "ip":
      return `${addressOf(failure)}\n`;
    case "msg":
      return failure.matches.map((line) => `${line}\n`).join("");
    case "field":
      return `${pythonValue(failure.fields[format.name])}\n`;
    case "template": {
      let withoutMsg = "";
      let hasMsg = false;
      for (const part of format.parts) {
        if ("text" in part) withoutMsg += part.text;
        else if (part.tag === "msg") {
          hasMsg = true;
          withoutMsg += "\u0000msg\u0000";
        } else withoutMsg += tagValue(part.tag, failure);
      }
      if (!hasMsg) return `${withoutMsg}\n`;
      const lines = failure.matches.length > 0 ? failure.matches : [""];
      return lines.map((line) => `${withoutMsg.replaceAll("\u0000msg\u0000", line)}\n`).join("");
    }
  }
}

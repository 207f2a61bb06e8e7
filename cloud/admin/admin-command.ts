// The admin commands of a deployed stack, as words on a command line (`cloudjail cloud ban 192.0.2.7 --jail sshd`)
// and as the JSON payload the admin Lambda accepts. Both paths end in the same strict validation: the Lambda is
// reachable by anyone holding lambda:InvokeFunction, so it trusts no field it did not check.
import { CloudjailError } from "../../shared/errors.js";
import { parseTimeSpan } from "../../shared/jail/time-span.js";
import { canonicalIp, unbannableReason } from "../address.js";

/** One admin command, validated. `ip` is canonical; `bantime` is in seconds (-1: permanent). */
export type AdminCommand =
  | { readonly command: "status"; readonly jail?: string }
  | { readonly command: "banned" }
  | { readonly command: "ban"; readonly ip: string; readonly jail: string; readonly bantime?: number }
  | { readonly command: "unban"; readonly ip: string; readonly jail?: string; readonly all?: true };

/** An admin command or payload that does not validate; `field` names the offending part. */
export class AdminCommandError extends CloudjailError {
  override name = "AdminCommandError";
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Longest ban an admin may set by hand: ten years (use -1 for permanent). */
export const MAX_ADMIN_BANTIME = 10 * 366 * 24 * 3600;

const JAIL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

/** Checks a jail name: letters, digits and `_ . @ -`, at most 64 characters, not starting with a symbol. */
export function validateJailName(value: unknown, field = "jail"): string {
  if (typeof value !== "string" || !JAIL_NAME.test(value)) {
    throw new AdminCommandError(
      `${field} must be a jail name (letters, digits, _ . @ -; at most 64 characters), got ${describe(value)}`,
      field,
    );
  }
  return value;
}

/** Checks an address and returns its canonical text. */
export function validateIp(value: unknown, field = "ip"): string {
  if (typeof value !== "string" || value.length > 64) {
    throw new AdminCommandError(`${field} must be an IPv4 or IPv6 address, got ${describe(value)}`, field);
  }
  try {
    return canonicalIp(value);
  } catch {
    throw new AdminCommandError(`${field} must be an IPv4 or IPv6 address, got ${describe(value)}`, field);
  }
}

/** Checks an address to ban: an address (canonical text returned) that can be a client's, see unbannableReason. */
export function validateBannableIp(value: unknown, field = "ip"): string {
  const ip = validateIp(value, field);
  const reason = unbannableReason(ip);
  if (reason) throw new AdminCommandError(`${field} ${ip} cannot be banned: it is ${reason}`, field);
  return ip;
}

/** Checks a ban time: seconds (number) or fail2ban syntax (`1h`, `2d`, `-1`); positive up to ten years, or -1. */
export function validateBanTime(value: unknown, field = "bantime"): number {
  let seconds: number;
  if (typeof value === "number") seconds = value;
  else if (typeof value === "string" && value.length <= 64) {
    try {
      seconds = parseTimeSpan(value);
    } catch (error) {
      throw new AdminCommandError(`${field}: ${(error as Error).message}`, field);
    }
  } else
    throw new AdminCommandError(
      `${field} must be a duration such as 3600, "1h" or "-1", got ${describe(value)}`,
      field,
    );
  // Whole seconds only: -1.4 must not become -1 (permanent) by rounding, nor 0.4 become 0.
  if (Number.isInteger(seconds) && (seconds === -1 || (seconds > 0 && seconds <= MAX_ADMIN_BANTIME))) return seconds;
  throw new AdminCommandError(
    `${field} must be whole seconds: -1 (permanent) or from 1 second to 10 years, got ${describe(value)}`,
    field,
  );
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value === undefined) return "nothing";
  return typeof value === "object"
    ? value === null
      ? "null"
      : Array.isArray(value)
        ? "an array"
        : "an object"
    : String(value);
}

const allowedKeys: Record<AdminCommand["command"], readonly string[]> = {
  status: ["command", "jail"],
  banned: ["command"],
  ban: ["command", "ip", "jail", "bantime"],
  unban: ["command", "ip", "jail", "all"],
};

/**
 * Validates an admin Lambda payload, e.g. `{"command": "ban", "ip": "192.0.2.7", "jail": "sshd", "bantime": "1h"}`.
 * Unknown commands, unknown keys, wrong types, bad addresses or jail names and contradictory options are refused.
 */
export function validateAdminPayload(payload: unknown): AdminCommand {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new AdminCommandError(`the payload must be a JSON object with a "command", got ${describe(payload)}`);
  }
  const record = payload as Record<string, unknown>;
  const command = record.command;
  if (typeof command !== "string" || !Object.hasOwn(allowedKeys, command)) {
    throw new AdminCommandError(
      `command must be one of ${Object.keys(allowedKeys).join(", ")}, got ${describe(command)}`,
      "command",
    );
  }
  const name = command as AdminCommand["command"];
  for (const key of Object.keys(record)) {
    if (!allowedKeys[name].includes(key))
      throw new AdminCommandError(`unknown field ${describe(key)} for ${name}`, key);
  }
  switch (name) {
    case "status":
      return record.jail === undefined
        ? { command: "status" }
        : { command: "status", jail: validateJailName(record.jail) };
    case "banned":
      return { command: "banned" };
    case "ban": {
      const ban = { command: "ban" as const, ip: validateBannableIp(record.ip), jail: validateJailName(record.jail) };
      return record.bantime === undefined ? ban : { ...ban, bantime: validateBanTime(record.bantime) };
    }
    case "unban": {
      const ip = validateIp(record.ip);
      if (record.all !== undefined && record.all !== true)
        throw new AdminCommandError("all must be true when given", "all");
      if (record.all === true && record.jail !== undefined) {
        throw new AdminCommandError("unban takes either a jail or all, not both", "all");
      }
      if (record.all === true) return { command: "unban", ip, all: true };
      if (record.jail === undefined) throw new AdminCommandError("unban needs a jail or all: true", "jail");
      return { command: "unban", ip, jail: validateJailName(record.jail) };
    }
  }
}

/**
 * Parses command-line words into an admin command: `status [JAIL]`, `banned`, `ban IP --jail J [--bantime T]`,
 * `unban IP (--jail J | --all)`. Options may also be written `--jail=J`.
 */
export function parseAdminArgs(words: readonly string[]): AdminCommand {
  const [command, ...rest] = words;
  const positional: string[] = [];
  const options: Record<string, string | true> = {};
  const known = new Set(["jail", "bantime", "all"]);
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (!word.startsWith("--")) {
      positional.push(word);
      continue;
    }
    const [key = "", inline] = word.slice(2).split(/=(.*)/s, 2);
    if (!known.has(key)) throw new AdminCommandError(`unknown option --${key}`, key);
    if (key in options) throw new AdminCommandError(`--${key} given twice`, key);
    if (key === "all") {
      if (inline !== undefined) throw new AdminCommandError("--all takes no value", key);
      options.all = true;
      continue;
    }
    const value = inline ?? rest[++i];
    if (value === undefined) throw new AdminCommandError(`--${key} needs a value`, key);
    options[key] = value;
  }
  const payload: Record<string, unknown> = { command, ...options };
  const expected = command === "ban" || command === "unban" ? 1 : command === "status" ? positional.length : 0;
  if (positional.length > (command === "status" ? 1 : expected) || positional.length < expected) {
    throw new AdminCommandError(
      `${command ?? "command"}: wrong number of arguments (${positional.join(" ") || "none"})`,
    );
  }
  if (command === "status" && positional[0] !== undefined) payload.jail = positional[0];
  if (command === "ban" || command === "unban") payload.ip = positional[0];
  return validateAdminPayload(payload);
}

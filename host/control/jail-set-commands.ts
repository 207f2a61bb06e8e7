// `set <JAIL> ...` and `set loglevel`: what a running daemon lets an operator change, answered as fail2ban-client
// answers. Settings that change how lines are read (regexes, log paths) are edited in the files and reloaded.
import { CloudjailError } from "../../shared/errors.js";
import { parseTimeSpan } from "../../shared/jail/time-span.js";
import type { Daemon, PolicyChange } from "../daemon/daemon.js";
import { parseLevel } from "../daemon/daemon-log.js";
import { pythonList, pythonString } from "./ban-list-format.js";
import type { ControlContext } from "./control-context.js";
import type { CommandAnswer } from "./control-protocol.js";
import { ignoreText, requireIp } from "./jail-get-commands.js";

/** fail2ban-client setters we leave to the configuration files, and why. */
const FILE_ONLY = new Set([
  "idle",
  "ignoreself",
  "ignorecommand",
  "ignorecache",
  "addlogpath",
  "dellogpath",
  "logencoding",
  "addjournalmatch",
  "deljournalmatch",
  "addfailregex",
  "delfailregex",
  "addignoreregex",
  "delignoreregex",
  "datepattern",
  "usedns",
  "attempt",
  "maxlines",
  "addaction",
  "delaction",
  "action",
]);

/** Answers the server-wide `set` (loglevel); undefined when `what` is a jail name. */
export function serverSet(what: string, value: string | undefined, context: ControlContext): string | undefined {
  if (what === "loglevel") {
    const level = parseLevel(value ?? "");
    if (!level)
      throw new CloudjailError(`unknown loglevel '${value ?? ""}' (CRITICAL ERROR WARNING NOTICE INFO DEBUG)`);
    if (!context.log) throw new CloudjailError("set loglevel: this server has no log to change");
    context.log.level = level;
    return `Current logging level is ${pythonString(level)}`;
  }
  if (["logtarget", "syslogsocket", "dbfile", "dbpurgeage", "dbmaxmatches"].includes(what)) {
    throw new CloudjailError(
      `set ${what}: not changed at run time; set it in fail2ban.local and restart the service (systemctl restart cloudjail)`,
    );
  }
  return undefined;
}

function integer(option: string, text: string | undefined, minimum: number): number {
  if (text === undefined || !/^-?\d+$/.test(text.trim()) || Number(text) < minimum) {
    throw new CloudjailError(
      `set <JAIL> ${option}: expected a whole number of at least ${minimum}, got '${text ?? ""}'`,
    );
  }
  return Number(text);
}

function timeSpan(option: string, text: string | undefined): number {
  if (text === undefined) throw new CloudjailError(`usage: set <JAIL> ${option} <TIME>`);
  try {
    return parseTimeSpan(text);
  } catch (error) {
    throw new CloudjailError(`set <JAIL> ${option}: ${(error as Error).message}`);
  }
}

/** The policy change a `set <JAIL> <option> <value>` asks for; undefined for another option. */
export function policyChange(option: string, value: string | undefined): PolicyChange | undefined {
  switch (option) {
    case "bantime": {
      const banTime = timeSpan(option, value);
      if (banTime === 0) throw new CloudjailError("set <JAIL> bantime: 0 would ban for no time; -1 is permanent");
      return { banTime };
    }
    case "findtime": {
      const findTime = timeSpan(option, value);
      if (findTime <= 0) throw new CloudjailError(`set <JAIL> findtime: must be positive, got '${value}'`);
      return { findTime };
    }
    case "maxretry":
      return { maxRetry: integer(option, value, 1) };
    case "maxmatches":
      return { maxMatches: integer(option, value, 0) };
    default:
      return undefined;
  }
}

/** Answers `set <JAIL> <WHAT> ...`. */
export async function jailSet(
  daemon: Daemon,
  jail: string,
  what: string,
  values: readonly string[],
): Promise<CommandAnswer> {
  daemon.pipeline(jail);
  const change = policyChange(what, values[0]);
  if (change) {
    const policy = daemon.setJailPolicy(jail, change);
    const key = Object.keys(change)[0] as keyof PolicyChange;
    return { output: String(policy[key]) };
  }
  switch (what) {
    case "addignoreip":
    case "delignoreip": {
      const entry = values[0];
      if (!entry) throw new CloudjailError(`usage: set <JAIL> ${what} <IP>`);
      const list = what === "addignoreip" ? daemon.addIgnoreIp(jail, entry) : daemon.delIgnoreIp(jail, entry);
      return { output: ignoreText(list) };
    }
    case "banip":
      return banByHand(daemon, jail, values);
    case "unbanip":
      return unbanByHand(daemon, jail, values);
  }
  if (FILE_ONLY.has(what)) {
    throw new CloudjailError(
      `set ${jail} ${what}: not changed at run time; edit jail.local (or the filter in filter.d) and run ` +
        `'cloudjail client reload ${jail}'`,
    );
  }
  throw new CloudjailError(`Invalid command: set ${jail} ${what}`);
}

async function banByHand(daemon: Daemon, jail: string, values: readonly string[]): Promise<CommandAnswer> {
  if (values.length === 0) throw new CloudjailError("usage: set <JAIL> banip <IP> ... <IP>");
  const ips = values.map(requireIp);
  const notes: string[] = [];
  const banned = new Set(await daemon.bannedIps(jail));
  const wanted: string[] = [];
  for (const ip of ips) {
    // Never ban an address the jail ignores, not even by hand: say so instead of a bare 0.
    if (daemon.isIgnored(jail, ip)) notes.push(`${ip} not banned: it is in the ignore list of ${jail} (ignoreip)`);
    else if (banned.has(ip)) notes.push(`${ip} not banned again: already banned in ${jail}`);
    else wanted.push(ip);
  }
  const count = wanted.length > 0 ? await daemon.banIps(jail, wanted) : 0;
  return { output: String(count), notes };
}

async function unbanByHand(daemon: Daemon, jail: string, values: readonly string[]): Promise<CommandAnswer> {
  const reportAbsent = values[0] === "--report-absent";
  const ips = (reportAbsent ? values.slice(1) : values).map(requireIp);
  if (ips.length === 0) throw new CloudjailError("usage: set <JAIL> unbanip [--report-absent] <IP> ... <IP>");
  const banned = new Set(await daemon.bannedIps(jail));
  const absent = ips.filter((ip) => !banned.has(ip));
  const count = await daemon.unbanIps(ips, jail);
  // fail2ban: an address not banned is no error unless --report-absent asks for one (the others are unbanned).
  if (reportAbsent && absent.length > 0) throw new CloudjailError(`not banned: ${pythonList(absent)}`);
  return { output: String(count), notes: absent.map((ip) => `${ip} was not banned in ${jail}`) };
}

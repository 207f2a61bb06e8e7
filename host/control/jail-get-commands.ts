// `get <JAIL> ...` and the server-wide `get loglevel|logtarget|dbfile ...`: what fail2ban-client prints for each.
import { CloudjailError } from "../../shared/errors.js";
import { parseIp } from "../../shared/net/ip.js";
import type { Daemon } from "../daemon/daemon.js";
import { banLineWithTime, byEndOfBan, pythonList, pythonString } from "./ban-list-format.js";
import type { ControlContext } from "./control-context.js";

/** fail2ban-client's `|- a` / `` `- b`` list. */
export function itemTree(items: readonly string[]): string {
  return items.map((item, index) => `${index === items.length - 1 ? "`-" : "|-"} ${item}`).join("\n");
}

/** The ignore list as fail2ban-client prints it. */
export function ignoreText(entries: readonly string[]): string {
  if (entries.length === 0) return "No IP address/network is ignored";
  return `These IP addresses/networks are ignored:\n${itemTree(entries)}`;
}

function regexText(patterns: readonly string[]): string {
  if (patterns.length === 0) return "No regular expression is defined";
  return `The following regular expression are defined:\n${itemTree(patterns.map((p, i) => `[${i}]: ${p}`))}`;
}

/** Answers the server-wide `get` (loglevel, logtarget, ...); undefined when `what` is a jail name. */
export function serverGet(what: string, context: ControlContext): string | undefined {
  const settings = context.settings;
  switch (what) {
    case "loglevel":
      return `Current logging level is ${pythonString(context.log?.level ?? settings?.loglevel ?? "INFO")}`;
    case "logtarget":
      return `Current logging target is:\n\`- ${settings?.logtarget ?? "unknown"}`;
    case "syslogsocket":
      return `Current syslog socket is:\n\`- ${settings?.syslogsocket ?? "auto"}`;
    case "dbfile":
      if (settings?.dbfile === ":memory:") return "Database currently disabled";
      return `Current database file is:\n\`- ${settings?.dbfile ?? "unknown"}`;
    case "dbpurgeage":
      if (settings?.dbfile === ":memory:") return "Database currently disabled";
      return `Current database purge age is:\n\`- ${settings?.dbpurgeage ?? 0}seconds`;
    case "dbmaxmatches":
      throw new CloudjailError("get dbmaxmatches: not applicable, each jail keeps maxmatches lines per ban");
    default:
      return undefined;
  }
}

/** Answers `get <JAIL> <WHAT> ...`. */
export async function jailGet(daemon: Daemon, jail: string, what: string, args: readonly string[]): Promise<string> {
  const pipeline = daemon.pipeline(jail);
  const { config } = pipeline;
  const policy = daemon.jailPolicy(jail);
  switch (what) {
    case "bantime":
      return String(policy.banTime);
    case "findtime":
      return String(policy.findTime);
    case "maxretry":
      return String(policy.maxRetry);
    case "maxmatches":
      return String(policy.maxMatches);
    case "maxlines":
      return String(config.filter.maxlines ?? 1);
    case "usedns":
      return String(config.jail.usedns);
    case "ignoreself":
      return config.jail.ignoreself ? "True" : "False";
    case "ignoreip":
      return ignoreText(daemon.ignoreList(config));
    case "ignorecommand":
      return config.jail.ignorecommand ?? "";
    case "logencoding":
      return `Current log encoding is set to:\n${config.jail.options["logencoding"]?.trim() || "auto"}`;
    case "logpath": {
      const files = pipeline.describeSources().files;
      if (files.length === 0) return "No file is currently monitored";
      return `Current monitored log file(s):\n${itemTree(files)}`;
    }
    case "journalmatch":
      // a jail reading files has no journal filter, whatever its filter.d file says for backend = systemd
      return config.journalmatch === "" || !config.backend.startsWith("systemd")
        ? "No journal match filter set"
        : `Current match filter:\n${config.journalmatch}`;
    case "prefregex":
      return config.filter.prefregex ?? "";
    case "failregex":
      return regexText(config.filter.failregex.map((regex) => regex.pattern));
    case "ignoreregex":
      return regexText(config.filter.ignoreregex.map((regex) => regex.pattern));
    case "datepattern":
      return `Current date pattern set to: ${config.filter.datepattern ?? "Not set/required"}`;
    case "actions": {
      const names = config.actions.map((action) => action.name);
      if (names.length === 0) return `No actions for jail ${jail}`;
      return `The jail ${jail} has the following actions:\n${names.join(", ")}`;
    }
    case "action":
    case "actionproperties":
      return actionGet(daemon, jail, what, args);
    case "banned": {
      const banned = new Set(await daemon.bannedIps(jail));
      if (args.length === 0) return pythonList([...banned]);
      const answers = args.map((ip) => (banned.has(ip) ? 1 : 0));
      return answers.length === 1 ? String(answers[0]) : `[${answers.join(", ")}]`;
    }
    case "banip": {
      const bans = byEndOfBan(await daemon.activeBans(jail));
      if (args[0] === "--with-time") return bans.map((ban) => banLineWithTime(ban, daemon.now())).join("\n");
      return bans.map((ban) => ban.ip).join(args[0] ?? " ");
    }
    default:
      throw new CloudjailError(`Invalid command (no get action or not yet implemented): get ${jail} ${what}`);
  }
}

function actionGet(daemon: Daemon, jail: string, what: string, args: readonly string[]): string {
  const [name, property] = args;
  if (!name) throw new CloudjailError(`usage: get <JAIL> ${what} <ACT>${what === "action" ? " <PROPERTY>" : ""}`);
  const action = daemon.pipeline(jail).config.actions.find((candidate) => candidate.name === name);
  if (!action) throw new CloudjailError(`the jail ${jail} has no action '${name}'`);
  const properties = { ...action.init, ...action.definition };
  if (what === "actionproperties") {
    const keys = Object.keys(properties).sort();
    if (keys.length === 0) return `No properties for jail ${jail} action ${name}`;
    return `The jail ${jail} action ${name} has the following properties:\n${keys.join(", ")}`;
  }
  if (!property) throw new CloudjailError("usage: get <JAIL> action <ACT> <PROPERTY>");
  const value = properties[property];
  if (value === undefined) throw new CloudjailError(`the action ${name} of ${jail} has no property '${property}'`);
  return value;
}

/** Checks an address given to a command; attacker-free but typo-prone. */
export function requireIp(text: string | undefined): string {
  if (text === undefined || !parseIp(text)) throw new CloudjailError(`'${text ?? ""}' is not a valid IP address`);
  return text;
}

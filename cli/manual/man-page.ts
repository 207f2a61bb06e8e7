// The man page cloudjail(1), in roff, generated from the command definitions: each sub-command's --help text,
// the client command table, the default paths and the exit codes.
import { CLIENT_COMMAND_TABLE } from "../../host/control/client-command-table.js";
import { VERSION } from "../../shared/version.js";
import { COMMANDS, DEFAULT_PATHS } from "../command-definitions.js";

/** Text made safe for roff: backslashes escaped, a line starting with a dot or quote not read as a request. */
export function roffText(text: string): string {
  return text
    .replace(/\\/g, "\\e")
    .split("\n")
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join("\n");
}

/** cloudjail(1); `usages` maps each sub-command to its --help text. */
export function manPage(usages: Readonly<Record<string, string>>): string {
  const out = [
    `.TH CLOUDJAIL 1 "" "cloudjail ${VERSION}" "User Commands"`,
    ".SH NAME",
    "cloudjail \\- fail2ban\\-compatible jails that ban attackers in AWS WAF, VPC network ACLs or the host firewall",
    ".SH SYNOPSIS",
    ".B cloudjail",
    ".I command",
    "[options]",
    ".br",
    ".B cloudjail",
    ".B \\-\\-help",
    "|",
    ".B \\-\\-version",
    ".SH DESCRIPTION",
    "cloudjail reads the logs of exposed services with fail2ban's filters (filter.d), counts failures per address",
    "in jails (jail.conf, jail.local) and bans with the host firewall (nftables, iptables, ipset) or, deployed",
    "with its CDK app, in AWS WAF IP sets and network ACLs. The words and files are fail2ban's:",
    ".B cloudjail regex",
    "is fail2ban\\-regex,",
    ".B cloudjail server",
    "is fail2ban\\-server and",
    ".B cloudjail client",
    "is fail2ban\\-client.",
    ".SH COMMANDS",
  ];
  for (const [name, { summary }] of Object.entries(COMMANDS)) {
    out.push(
      ".SS",
      `cloudjail ${name}`,
      roffText(summary),
      ".PP",
      ".nf",
      roffText(usages[name] ?? "").trimEnd(),
      ".fi",
    );
  }
  out.push(".SH CLIENT COMMANDS", "Sent by", ".B cloudjail client", "to the running server.");
  for (const command of CLIENT_COMMAND_TABLE)
    out.push(".TP", `.B ${roffText(command.usage)}`, roffText(command.summary));
  out.push(".SH FILES");
  for (const [what, path] of DEFAULT_PATHS)
    out.push(".TP", `.I ${roffText(path.split(" ")[0]!)}`, roffText(`${what}: ${path}`));
  out.push(
    ".TP",
    ".I /etc/cloudjail/jail.local",
    "your jails (fail2ban's format; jail.conf holds the defaults, jail.d/*.local more jails)",
    ".TP",
    ".I /etc/cloudjail/fail2ban.local",
    "daemon settings: loglevel, logtarget, socket, pidfile, dbfile, dbpurgeage, lognames",
    ".SH EXIT STATUS",
    "0 on success; 1 on a configuration or run\\-time error (the message names file, line and option); 2 on a bad",
    "command line; 70 on an internal error.",
    ".B cloudjail client",
    "returns 255 when the server answers an error or cannot be reached, as fail2ban\\-client does, and 3 when",
    "the jail named is configured but failed to start (the message gives the reason).",
    ".SH SEE ALSO",
    ".BR fail2ban\\-client (1),",
    ".BR fail2ban\\-regex (1),",
    ".BR jail.conf (5),",
    ".BR nft (8)",
    "",
  );
  return out.join("\n");
}

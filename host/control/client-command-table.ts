// fail2ban-client's commands as cloudjail answers them: one table read by `cloudjail client --help`, the man page
// and the shell completion, so that the three never disagree.

/** One client command: its words as typed, what it does, and the group fail2ban-client's help puts it in. */
export interface ClientCommandDefinition {
  readonly usage: string;
  readonly summary: string;
  readonly group: "basic" | "logging" | "database" | "jail control" | "jail configuration" | "jail information";
}

/** Every command the daemon answers, in fail2ban-client's order. */
export const CLIENT_COMMAND_TABLE: readonly ClientCommandDefinition[] = [
  { group: "basic", usage: "start", summary: "says whether the server runs (the service manager starts it)" },
  { group: "basic", usage: "restart", summary: "restarts every jail: configuration re-read, actions restarted" },
  {
    group: "basic",
    usage: "restart [--unban] [--if-exists] <JAIL>",
    summary: "restarts the jail <JAIL> (alias for 'reload --restart ... <JAIL>')",
  },
  {
    group: "basic",
    usage: "reload [--restart] [--unban] [--all]",
    summary: "reloads the configuration; --restart also restarts the actions, --unban lifts the bans",
  },
  {
    group: "basic",
    usage: "reload [--restart] [--unban] [--if-exists] <JAIL>",
    summary: "reloads the jail <JAIL>, or restarts it (--restart)",
  },
  { group: "basic", usage: "stop", summary: "stops all jails and the server" },
  { group: "basic", usage: "unban --all", summary: "unbans all IP addresses (in all jails and the database)" },
  { group: "basic", usage: "unban <IP> ... <IP>", summary: "unbans <IP> (in all jails and the database)" },
  { group: "basic", usage: "banned", summary: "jails with their banned IPs, as a Python-style list" },
  { group: "basic", usage: "banned --with-time", summary: "banned IPs of every jail with ban start, end, time left" },
  { group: "basic", usage: "banned <IP> ... <IP>", summary: "the jails where each given IP is banned" },
  { group: "basic", usage: "status", summary: "the server's status: number and list of jails" },
  { group: "basic", usage: "status --all [FLAVOR]", summary: "the status of every jail" },
  { group: "basic", usage: "ping", summary: "tests if the server is alive" },
  { group: "basic", usage: "echo <TEXT>", summary: "returns the given text" },
  { group: "basic", usage: "help", summary: "this list" },
  { group: "basic", usage: "version", summary: "the server's version" },
  { group: "logging", usage: "set loglevel <LEVEL>", summary: "sets the logging level (CRITICAL ... DEBUG)" },
  { group: "logging", usage: "get loglevel", summary: "gets the logging level" },
  { group: "logging", usage: "get logtarget", summary: "gets the logging target" },
  { group: "logging", usage: "get syslogsocket", summary: "gets the syslog socket path" },
  { group: "logging", usage: "flushlogs", summary: "reopens the log file (done on every write anyway)" },
  { group: "database", usage: "get dbfile", summary: "gets the location of the SQLite store" },
  { group: "database", usage: "get dbpurgeage", summary: "gets how long ended bans are kept" },
  { group: "jail control", usage: "start <JAIL>", summary: "starts the jail <JAIL> from the configuration" },
  { group: "jail control", usage: "stop <JAIL>", summary: "stops the jail <JAIL>; its bans leave the firewall" },
  {
    group: "jail control",
    usage: "status <JAIL> [basic|short]",
    summary: "gets the current status of <JAIL>, with an optional flavor",
  },
  { group: "jail configuration", usage: "set <JAIL> addignoreip <IP>", summary: "adds <IP> to the ignore list" },
  { group: "jail configuration", usage: "set <JAIL> delignoreip <IP>", summary: "removes <IP> from the ignore list" },
  { group: "jail configuration", usage: "set <JAIL> findtime <TIME>", summary: "sets the counting window" },
  { group: "jail configuration", usage: "set <JAIL> bantime <TIME>", summary: "sets the ban time (-1: permanent)" },
  { group: "jail configuration", usage: "set <JAIL> maxretry <RETRY>", summary: "sets the failures before a ban" },
  {
    group: "jail configuration",
    usage: "set <JAIL> maxmatches <INT>",
    summary: "sets the matched lines kept per ban",
  },
  { group: "jail configuration", usage: "set <JAIL> banip <IP> ... <IP>", summary: "bans <IP> in <JAIL> by hand" },
  {
    group: "jail configuration",
    usage: "set <JAIL> unbanip [--report-absent] <IP> ... <IP>",
    summary: "lifts the ban of <IP> in <JAIL>",
  },
  { group: "jail information", usage: "get <JAIL> banned [<IP> ...]", summary: "banned IPs, or 1/0 per given IP" },
  { group: "jail information", usage: "get <JAIL> banip [<SEP>|--with-time]", summary: "banned IPs, by end of ban" },
  { group: "jail information", usage: "get <JAIL> logpath", summary: "the monitored files" },
  { group: "jail information", usage: "get <JAIL> logencoding", summary: "the encoding of the log files" },
  { group: "jail information", usage: "get <JAIL> journalmatch", summary: "the journal filter match" },
  { group: "jail information", usage: "get <JAIL> ignoreself", summary: "whether own addresses are ignored" },
  { group: "jail information", usage: "get <JAIL> ignoreip", summary: "the ignore list" },
  { group: "jail information", usage: "get <JAIL> ignorecommand", summary: "the ignorecommand" },
  { group: "jail information", usage: "get <JAIL> prefregex", summary: "the prefix regular expression" },
  { group: "jail information", usage: "get <JAIL> failregex", summary: "the failure regular expressions" },
  { group: "jail information", usage: "get <JAIL> ignoreregex", summary: "the ignore regular expressions" },
  { group: "jail information", usage: "get <JAIL> findtime", summary: "the counting window, seconds" },
  { group: "jail information", usage: "get <JAIL> bantime", summary: "the ban time, seconds" },
  { group: "jail information", usage: "get <JAIL> datepattern", summary: "the date pattern" },
  { group: "jail information", usage: "get <JAIL> usedns", summary: "the usedns setting" },
  { group: "jail information", usage: "get <JAIL> maxretry", summary: "the failures before a ban" },
  { group: "jail information", usage: "get <JAIL> maxmatches", summary: "the matched lines kept per ban" },
  { group: "jail information", usage: "get <JAIL> maxlines", summary: "the lines buffered for multi-line regexes" },
  { group: "jail information", usage: "get <JAIL> actions", summary: "the jail's actions" },
  {
    group: "jail information",
    usage: "get <JAIL> action <ACT> <PROPERTY>",
    summary: "a command or [Init] value of an action",
  },
  { group: "jail information", usage: "get <JAIL> actionproperties <ACT>", summary: "the properties of an action" },
];

/** `cloudjail client --help`'s command list: usage and summary in two columns, grouped as fail2ban-client's. */
export function clientCommandHelp(): string {
  const lines: string[] = [];
  let group = "";
  for (const command of CLIENT_COMMAND_TABLE) {
    if (command.group !== group) {
      group = command.group;
      lines.push("", `  ${group.toUpperCase()}`);
    }
    // fail2ban-client's layout: a long usage gets its summary on the next line, in the same column
    if (command.usage.length > 40) lines.push(`    ${command.usage}`, `    ${"".padEnd(40)} ${command.summary}`);
    else lines.push(`    ${command.usage.padEnd(40)} ${command.summary}`);
  }
  return lines.join("\n");
}

/** The first words of the commands (`status`, `set`, `get` ...), for completion. */
export function clientCommandWords(): string[] {
  return [...new Set(CLIENT_COMMAND_TABLE.map((command) => command.usage.split(" ")[0]!))];
}

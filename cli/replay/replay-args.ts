// Parses the arguments of `cloudjail replay` into a plan; no side effects, so it is table-tested.
import { parseTimeSpan } from "../../shared/jail/time-span.js";
import { parseCommandLine, parseNowOption } from "../command-line.js";
import { UsageError } from "../usage-error.js";

/** What `cloudjail replay` was asked to do. */
export interface ReplayPlan {
  readonly logs: readonly string[];
  /** CloudWatch Logs log groups to read past events from. */
  readonly logGroups: readonly string[];
  /** How far back to read log groups, in seconds. */
  readonly sinceSeconds: number;
  readonly region: string | undefined;
  readonly configDir: string | undefined;
  readonly jails: readonly string[];
  /** SQLite file to keep the state in; undefined: a private in-memory store. */
  readonly sqlitePath: string | undefined;
  readonly out: "json" | undefined;
  readonly now: number | undefined;
  readonly timeZone: string | undefined;
  readonly help: boolean;
}

export const REPLAY_USAGE = `usage: cloudjail replay [options] LOG...
       cloudjail replay [options] --log-group NAME [--since 24h] [LOG...]

Runs whole jails over historical logs, in log time, and prints the bans and unbans they would make.
Nothing is enforced. Without --jail, each enabled jail runs over the LOGs its logpath names and over the
log groups its loggroup names.

options:
  --config DIR          configuration tree (jail.conf, jail.local, filter.d/); default: the bundled config/
  --jail NAME           run this jail over every LOG, enabled or not (repeatable)
  --log-group NAME      read past events of this CloudWatch Logs log group (repeatable; AWS credentials needed)
  --since DURATION      how far back to read log groups, fail2ban time syntax (default 24h)
  --region REGION       AWS Region of the log groups (default: the SDK's, from AWS_REGION or the profile)
  --store sqlite:PATH   keep the jail state in this SQLite file (default: in memory, forgotten after the run)
  --out json            one JSON object per decision on stdout
  --now ISO-8601        "now" for dates without a year (default: the real clock)
  --timezone TZ         time zone of dates without offset (default: the local zone)
  -h, --help            this help`;

/** Parses argv (without the command name). Throws UsageError with a clear message on bad arguments. */
export function parseReplayArgs(argv: readonly string[]): ReplayPlan {
  const parsed = parseCommandLine("replay", argv, {
    config: { type: "string" },
    jail: { type: "string", multiple: true },
    "log-group": { type: "string", multiple: true },
    since: { type: "string" },
    region: { type: "string" },
    store: { type: "string" },
    out: { type: "string", short: "o" },
    now: { type: "string" },
    timezone: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  const { values, positionals } = parsed;
  const help = values.help === true;
  const logGroups = (values["log-group"] as string[] | undefined) ?? [];
  if (!help && positionals.length === 0 && logGroups.length === 0) {
    throw new UsageError(`replay: expected at least one LOG or --log-group\n\n${REPLAY_USAGE}`);
  }
  for (const group of logGroups) {
    // CloudWatch Logs' own rule for log group names
    if (!/^[\w#./-]{1,512}$/.test(group))
      throw new UsageError(`replay: --log-group '${group}' is not a log group name`);
  }
  let sinceSeconds = 24 * 3600;
  if (typeof values.since === "string") {
    try {
      sinceSeconds = parseTimeSpan(values.since);
    } catch (error) {
      throw new UsageError(`replay: --since: ${(error as Error).message}`);
    }
    if (!(sinceSeconds > 0)) throw new UsageError(`replay: --since must be a positive duration; got '${values.since}'`);
  }
  let sqlitePath: string | undefined;
  if (typeof values.store === "string") {
    const m = /^sqlite:(.+)$/.exec(values.store);
    if (!m) throw new UsageError(`replay: --store must be sqlite:PATH; got '${values.store}'`);
    sqlitePath = m[1];
  }
  if (values.out !== undefined && values.out !== "json") {
    throw new UsageError(`replay: --out supports only 'json'; got '${String(values.out)}'`);
  }
  const now = parseNowOption("replay", values.now);
  const jails = (values.jail as string[] | undefined) ?? [];
  for (const jail of jails) {
    if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(jail)) throw new UsageError(`replay: --jail '${jail}' is not a jail name`);
  }
  return {
    logs: positionals,
    logGroups,
    sinceSeconds,
    region: values.region as string | undefined,
    configDir: values.config as string | undefined,
    jails,
    sqlitePath,
    out: values.out === "json" ? "json" : undefined,
    now,
    timeZone: values.timezone as string | undefined,
    help,
  };
}

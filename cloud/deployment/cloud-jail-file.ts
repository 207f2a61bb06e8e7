// Reads the jails of a cloud deployment from a jail.local-format file, as fail2ban users write it, with one change:
// `loggroup =` (CloudWatch Logs log groups) where fail2ban has `logpath =`. Everything is resolved and validated here,
// at `cdk synth`: a bad time, regex, filter reference or target fails with file, line and reason.

import { loadConfig, loadConfigFiles } from "../../shared/config/config-loader.js";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { DEFAULT_SECTION } from "../../shared/config/ini-parser.js";
import type { LayeredConfig } from "../../shared/config/layered-config.js";
import { parseOptionSpec } from "../../shared/config/option-spec.js";
import { ConfigError, type ConfigLocation } from "../../shared/errors.js";
import { parseHostPosition } from "../../shared/filter/host-placement.js";
import type { BanTimeIncrementOptions } from "../../shared/jail/ban-time.js";
import type { JailConfig } from "../../shared/jail/jail-config.js";
import { readEnabled, readJail } from "../../shared/jail/jail-config-reader.js";
import { SecurityGroupTargetError } from "../targets/target-spec.js";
import type { DeployedFilter, DeployedJail, DeploymentConfig } from "./deployment-config.js";

/** Checks that a filter's expressions compile; throws a ConfigError naming the regex's file and line. */
export type FilterCheck = (filter: DeployedFilter, regexLocations: readonly ConfigLocation[]) => void;

/** Where the jails come from. */
export interface CloudJailFileOptions {
  /** The jail.local-format file. */
  readonly jailFile: string;
  /** The folder holding `filter.d/` (the bundled `config/` by default in the app). */
  readonly filterConfigDir: string;
  /** Compiles every regex of a filter (the filter engine); without it only the configuration is checked. */
  readonly checkFilter?: FilterCheck;
}

const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const JAIL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
/** fail2ban's jail.conf defaults: a cloud jail.local stands alone, without the jail.conf that sets them. */
const JAIL_CONF_DEFAULTS = { maxretry: "5", findtime: "10m", bantime: "10m" } as const;

/** Where an option of a jail was written, from the shared reader's origins. */
class JailReader {
  constructor(
    private readonly jail: JailConfig,
    readonly section: string,
  ) {}

  where(option: string): ConfigLocation {
    const origin = this.jail.origins[option];
    return {
      ...(origin?.file ? { file: origin.file } : {}),
      ...(origin?.line ? { line: origin.line } : {}),
      section: this.section,
      option,
    };
  }

  text(option: string): string | undefined {
    return this.jail.options[option]?.trim();
  }
}

/** The `bantime.*` options as written, already checked by the shared reader, kept as data for the bundle. */
function readIncrement(jail: JailConfig): BanTimeIncrementOptions {
  const text = (option: string) => jail.options[option]?.trim() || undefined;
  const { bantimeIncrement: increment } = jail;
  return {
    enabled: increment.enabled,
    overallJails: increment.overallJails,
    ...(text("bantime.factor") ? { factor: text("bantime.factor")! } : {}),
    ...(text("bantime.formula") ? { formula: text("bantime.formula")! } : {}),
    ...(text("bantime.multipliers") ? { multipliers: text("bantime.multipliers")! } : {}),
    ...(increment.maxTime !== undefined ? { maxTime: increment.maxTime } : {}),
    ...(increment.rndTime !== undefined ? { rndTime: increment.rndTime } : {}),
  };
}

function readLogGroups(reader: JailReader, jail: JailConfig): string[] {
  if (jail.loggroup.length === 0) {
    const hint = reader.text("logpath")
      ? "cloud mode reads CloudWatch Logs: write `loggroup = <log group name>` instead of `logpath =`"
      : "missing `loggroup =`: the CloudWatch Logs log group(s) this jail reads";
    throw new ConfigError(hint, reader.where(reader.text("logpath") ? "logpath" : "loggroup"));
  }
  const groups = jail.loggroup.flatMap((group) => group.split(",")).filter((group) => group !== "");
  for (const group of groups) {
    if (!LOG_GROUP_NAME.test(group)) {
      throw new ConfigError(`"${group}" is not a CloudWatch Logs log group name`, reader.where("loggroup"));
    }
  }
  return [...new Set(groups)];
}

function readFilter(reader: JailReader, options: CloudJailFileOptions): { filter: DeployedFilter; daemon?: string } {
  // fail2ban's jail.conf sets `filter = %(__name__)s`: a jail without a filter line uses the filter of its name.
  const spec = reader.text("filter") || reader.section;
  const overrides: Record<string, string> = {};
  for (const option of ["failregex", "ignoreregex", "datepattern", "maxlines", "prefregex", "hostposition"]) {
    const value = reader.text(option);
    if (value !== undefined && value !== "") overrides[option] = value;
  }
  let definition: ReturnType<typeof loadFilterDefinition>;
  try {
    definition = loadFilterDefinition(options.filterConfigDir, spec, overrides);
  } catch (error) {
    if (error instanceof ConfigError && error.where.file) throw error;
    throw new ConfigError(`filter "${spec}": ${(error as Error).message}`, reader.where("filter"), { cause: error });
  }
  if (definition.failregex.length === 0) {
    throw new ConfigError(`filter "${spec}" has no failregex`, reader.where("filter"));
  }
  const filter: DeployedFilter = {
    source: `${spec} (${definition.files.at(-1) ?? options.filterConfigDir})`,
    failregex: definition.failregex.map((regex) => regex.pattern),
    ignoreregex: definition.ignoreregex.map((regex) => regex.pattern),
    ...(definition.prefregex !== undefined ? { prefregex: definition.prefregex } : {}),
    ...(definition.datepattern !== undefined ? { datepattern: definition.datepattern } : {}),
    ...(definition.maxlines !== undefined ? { maxlines: definition.maxlines } : {}),
    // the log-injection defence travels with the filter; a mistyped value stops the synth here
    ...(definition.hostposition !== undefined
      ? { hostposition: parseHostPosition(definition.hostposition, { file: definition.file, section: "Definition" }) }
      : {}),
  };
  const locations = [...definition.failregex, ...definition.ignoreregex].map((regex) => ({
    ...(regex.file ? { file: regex.file } : {}),
    ...(regex.line ? { line: regex.line } : {}),
    section: reader.section,
    option: "filter",
  }));
  options.checkFilter?.(filter, locations);
  return { filter, ...(filterDaemon(options.filterConfigDir, spec) ?? {}) };
}

/** The program name a filter.d filter reads (`_daemon`), when it is a named filter that sets one. */
function filterDaemon(configDir: string, spec: string): { daemon: string } | undefined {
  try {
    const { name } = parseOptionSpec(spec);
    if (name.includes("/")) return undefined;
    const daemon = loadConfig(configDir, `filter.d/${name}`).get("Definition", "_daemon");
    if (daemon === undefined) return undefined;
    // a program with optional name suffixes (`sshd(?:-session|-auth)?`, OpenSSH 9.8+): its fixed head is a plain
    // term, which CloudWatch Logs finds inside each longer name too
    const head = /^([A-Za-z0-9_.-]+)\(\?:[A-Za-z0-9_.|-]*\)\?$/.exec(daemon);
    return { daemon: head ? head[1]! : daemon };
  } catch {
    return undefined;
  }
}

/**
 * The subscription filter pattern of a jail: as written, or with `auto` the program name the filter reads
 * (`_daemon`, e.g. `sshd`), so that CloudWatch Logs only invokes the function for that program's lines. `auto` needs
 * logs that carry the program name (syslog format, as the CloudWatch agent ships /var/log/auth.log).
 */
function readFilterPattern(reader: JailReader, daemon: string | undefined): string {
  const pattern = reader.text("filterpattern") ?? "";
  if (pattern.length > 1024)
    throw new ConfigError("filterpattern is longer than 1024 characters", reader.where("filterpattern"));
  if (pattern !== "auto") return pattern;
  if (daemon === undefined || !/^[A-Za-z0-9_.-]+$/.test(daemon)) {
    throw new ConfigError(
      `filterpattern = auto needs a filter whose _daemon is one program name (this one has ${daemon === undefined ? "none" : JSON.stringify(daemon)}): write the CloudWatch Logs filter pattern instead`,
      reader.where("filterpattern"),
    );
  }
  return daemon;
}

function readCloudJail(config: LayeredConfig, section: string, options: CloudJailFileOptions): DeployedJail {
  if (!JAIL_NAME.test(section)) {
    throw new ConfigError("a jail name may hold letters, digits and _ . @ - (at most 64 characters)", { section });
  }
  // Times, numbers, booleans, ignoreip, bantime.* and the filter/action references: checked by the shared reader.
  const jail = readJail(config, section);
  const reader = new JailReader(jail, section);
  for (const option of ["banaction", "action"]) {
    const sg = /(^|[\s,[])(sg-[0-9a-z]+|security[-_]?groups?)\b/i.exec(reader.text(option) ?? "");
    if (sg) throw new SecurityGroupTargetError(sg[2]!, reader.where(option));
  }
  const { filter, daemon } = readFilter(reader, options);
  const logTimeZone = reader.text("logtimezone");
  return {
    name: section,
    logGroups: readLogGroups(reader, jail),
    filter,
    maxRetry: jail.maxretry,
    findTime: jail.findtime,
    banTime: jail.bantime,
    maxMatches: jail.maxmatches,
    increment: readIncrement(jail),
    ignoreIp: reader.text("ignoreip") ?? "",
    ...(logTimeZone ? { logTimeZone } : {}),
    filterPattern: readFilterPattern(reader, daemon),
  };
}

/**
 * Loads the enabled jails of a jail.local-format file and resolves their filters from `filterConfigDir/filter.d`.
 * Throws ConfigError (file, line, section, option, reason) for anything wrong, SecurityGroupTargetError for a
 * security group named as a ban action, and when no jail is enabled.
 */
export function loadCloudJails(options: CloudJailFileOptions): DeploymentConfig {
  const config = loadConfigFiles([options.jailFile]);
  for (const [name, value] of Object.entries(JAIL_CONF_DEFAULTS)) {
    if (!config.hasOption(DEFAULT_SECTION, name)) config.mergeDefaults({ [name]: value });
  }
  const jails: DeployedJail[] = [];
  for (const section of config.sections()) {
    if (section === "INCLUDES" || !readEnabled(config, section)) continue;
    jails.push(readCloudJail(config, section, options));
  }
  if (jails.length === 0) {
    throw new ConfigError("no jail is enabled: add `enabled = true` to at least one jail", { file: options.jailFile });
  }
  return { version: 1, jails };
}

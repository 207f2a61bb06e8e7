// Reads the jails of a cloud deployment from a jail.local-format file, as fail2ban users write it, with one change:
// `loggroup =` (CloudWatch Logs log groups) where fail2ban has `logpath =`. Everything is resolved and validated here,
// at `cdk synth`: a bad time, regex, filter reference or target fails with file, line and reason.

import { loadConfig, loadConfigFiles } from "../../shared/config/config-loader.js";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import type { LayeredConfig } from "../../shared/config/layered-config.js";
import { parseOptionSpec } from "../../shared/config/option-spec.js";
import { ConfigError, type ConfigLocation } from "../../shared/errors.js";
import type { BanTimeIncrementOptions } from "../../shared/jail/ban-time.js";
import { banTimeIncrement } from "../../shared/jail/ban-time.js";
import { parseIgnoreIp } from "../../shared/jail/ignore-list.js";
import { DEFAULT_POLICY } from "../../shared/jail/jail-policy.js";
import { parseTimeSpan } from "../../shared/jail/time-span.js";
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
const TRUE_WORDS = new Set(["true", "yes", "on", "1"]);
const FALSE_WORDS = new Set(["false", "no", "off", "0"]);

class JailReader {
  constructor(
    private readonly config: LayeredConfig,
    readonly section: string,
  ) {}

  where(option: string): ConfigLocation {
    const raw = this.config.raw(this.section, option);
    return {
      ...(raw?.file ? { file: raw.file } : {}),
      ...(raw?.line ? { line: raw.line } : {}),
      section: this.section,
      option,
    };
  }

  text(option: string): string | undefined {
    try {
      return this.config.get(this.section, option)?.trim();
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError((error as Error).message, this.where(option), { cause: error });
    }
  }

  bool(option: string, fallback: boolean): boolean {
    const value = this.text(option);
    if (value === undefined || value === "") return fallback;
    const lower = value.toLowerCase();
    if (TRUE_WORDS.has(lower)) return true;
    if (FALSE_WORDS.has(lower)) return false;
    throw new ConfigError(`"${value}" is not a boolean (true/false, yes/no, on/off, 1/0)`, this.where(option));
  }

  seconds(option: string, fallback: number | undefined): number | undefined {
    const value = this.text(option);
    if (value === undefined || value === "") return fallback;
    try {
      return parseTimeSpan(value);
    } catch (error) {
      throw new ConfigError((error as Error).message, this.where(option), { cause: error });
    }
  }

  wholeNumber(option: string, fallback: number, min: number): number {
    const value = this.text(option);
    if (value === undefined || value === "") return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min) {
      throw new ConfigError(`"${value}" must be a whole number of at least ${min}`, this.where(option));
    }
    return Number(value);
  }
}

function readIncrement(reader: JailReader): BanTimeIncrementOptions {
  const optional = (option: string) => reader.text(option) || undefined;
  const maxTime = reader.seconds("bantime.maxtime", undefined);
  const rndTime = reader.seconds("bantime.rndtime", undefined);
  const options: BanTimeIncrementOptions = {
    enabled: reader.bool("bantime.increment", false),
    overallJails: reader.bool("bantime.overalljails", false),
    ...(optional("bantime.factor") ? { factor: optional("bantime.factor")! } : {}),
    ...(optional("bantime.formula") ? { formula: optional("bantime.formula")! } : {}),
    ...(optional("bantime.multipliers") ? { multipliers: optional("bantime.multipliers")! } : {}),
    ...(maxTime !== undefined ? { maxTime } : {}),
    ...(rndTime !== undefined ? { rndTime } : {}),
  };
  try {
    banTimeIncrement(options);
  } catch (error) {
    const option = /multipliers/.test((error as Error).message) ? "bantime.multipliers" : "bantime.formula";
    throw new ConfigError((error as Error).message, reader.where(option), { cause: error });
  }
  return options;
}

function readLogGroups(reader: JailReader): string[] {
  const value = reader.text("loggroup");
  if (!value) {
    const hint = reader.text("logpath")
      ? "cloud mode reads CloudWatch Logs: write `loggroup = <log group name>` instead of `logpath =`"
      : "missing `loggroup =`: the CloudWatch Logs log group(s) this jail reads";
    throw new ConfigError(hint, reader.where(reader.text("logpath") ? "logpath" : "loggroup"));
  }
  const groups = value.split(/[\s,]+/).filter((group) => group !== "");
  for (const group of groups) {
    if (!LOG_GROUP_NAME.test(group)) {
      throw new ConfigError(`"${group}" is not a CloudWatch Logs log group name`, reader.where("loggroup"));
    }
  }
  return [...new Set(groups)];
}

function readFilter(reader: JailReader, options: CloudJailFileOptions): { filter: DeployedFilter; daemon?: string } {
  const spec = reader.text("filter") || reader.section;
  const overrides: Record<string, string> = {};
  for (const option of ["failregex", "ignoreregex", "datepattern", "maxlines", "prefregex"]) {
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
    return daemon === undefined ? undefined : { daemon };
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

function readJail(config: LayeredConfig, section: string, options: CloudJailFileOptions): DeployedJail {
  const reader = new JailReader(config, section);
  if (!JAIL_NAME.test(section)) {
    throw new ConfigError("a jail name may hold letters, digits and _ . @ - (at most 64 characters)", { section });
  }
  const banaction = `${reader.text("banaction") ?? ""} ${reader.text("action") ?? ""}`;
  const sg = /(^|[\s,[])(sg-[0-9a-z]+|security[-_]?groups?)\b/i.exec(banaction);
  if (sg)
    throw new SecurityGroupTargetError(
      sg[2]!,
      reader.where(reader.text("banaction")?.includes(sg[2]!) ? "banaction" : "action"),
    );
  const maxRetry = reader.wholeNumber("maxretry", DEFAULT_POLICY.maxRetry, 1);
  const findTime = reader.seconds("findtime", DEFAULT_POLICY.findTime)!;
  if (findTime <= 0) throw new ConfigError("findtime must be positive", reader.where("findtime"));
  const banTime = reader.seconds("bantime", DEFAULT_POLICY.banTime)!;
  if (banTime === 0)
    throw new ConfigError("bantime must not be 0 (use a negative value for a permanent ban)", reader.where("bantime"));
  const ignoreIp = reader.text("ignoreip") ?? "";
  try {
    parseIgnoreIp(ignoreIp);
  } catch (error) {
    throw new ConfigError((error as Error).message, reader.where("ignoreip"), { cause: error });
  }
  const { filter, daemon } = readFilter(reader, options);
  const logTimeZone = reader.text("logtimezone");
  return {
    name: section,
    logGroups: readLogGroups(reader),
    filter,
    maxRetry,
    findTime,
    banTime,
    maxMatches: reader.wholeNumber("maxmatches", maxRetry, 0),
    increment: readIncrement(reader),
    ignoreIp,
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
  const jails: DeployedJail[] = [];
  for (const section of config.sections()) {
    if (section === "INCLUDES") continue;
    const reader = new JailReader(config, section);
    if (!reader.bool("enabled", false)) continue;
    jails.push(readJail(config, section, options));
  }
  if (jails.length === 0) {
    throw new ConfigError("no jail is enabled: add `enabled = true` to at least one jail", { file: options.jailFile });
  }
  return { version: 1, jails };
}

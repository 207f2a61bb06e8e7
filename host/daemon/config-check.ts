// `cloudjail server --test` (`-t`), like `nginx -t` or `fail2ban-client -t`: builds every jail the daemon would run,
// exactly as the daemon builds them, and reports every problem at once rather than the first. Nothing is started.
import { ConfigError } from "../../shared/errors.js";
import { readDaemonSettings, type SettingOverrides } from "./daemon-settings.js";
import { buildJails, type JailBuildOptions } from "./jail-build.js";
import { type JournalProbes, sourceProblem } from "./source-health.js";

/** What the check found: errors fail it; warnings (a log file not there yet) do not. */
export interface ConfigCheck {
  readonly errors: string[];
  readonly warnings: string[];
  /** One line per jail that builds: its name and the source it would read. */
  readonly jails: string[];
}

/** Checks the daemon settings and every wanted jail of `configDir`. */
export async function checkConfiguration(
  configDir: string,
  overrides: SettingOverrides,
  options: Pick<JailBuildOptions, "only" | "logpaths"> & { readonly journalctl?: string } = {},
): Promise<ConfigCheck> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const jails: string[] = [];
  try {
    readDaemonSettings(configDir, overrides);
  } catch (error) {
    errors.push((error as Error).message);
  }
  let build: ReturnType<typeof buildJails>;
  try {
    build = buildJails(configDir, {
      ...(options.only ? { only: options.only } : {}),
      ...(options.logpaths ? { logpaths: options.logpaths } : {}),
    });
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error instanceof Error)) throw error;
    errors.push(error.message);
    return { errors, warnings, jails };
  }
  for (const failure of build.failures) errors.push(`jail '${failure.jail}': ${failure.reason}`);
  const probes: JournalProbes = new Map();
  for (const config of build.configs) {
    jails.push(`${config.name}: ${config.sourceReason}`);
    const problem = await sourceProblem(config, options.journalctl, probes);
    if (problem !== undefined) warnings.push(`jail '${config.name}': no readable log source yet: ${problem}`);
  }
  if (build.configs.length === 0 && build.failures.length === 0) warnings.push("no jail is enabled");
  return { errors, warnings, jails };
}

/** The check as printed: one line per problem, then a summary line. */
export function formatConfigCheck(check: ConfigCheck): string {
  const lines = [
    ...check.jails.map((line) => `OK       ${line}`),
    ...check.warnings.map((line) => `WARNING  ${line}`),
    ...check.errors.map((line) => `ERROR    ${line}`),
  ];
  lines.push(
    check.errors.length === 0
      ? "OK: configuration test is successful"
      : `FAILED: ${check.errors.length} problem${check.errors.length === 1 ? "" : "s"} in the configuration`,
  );
  return `${lines.join("\n")}\n`;
}

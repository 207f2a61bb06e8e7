// The synth-time regex check: every prefregex, failregex and ignoreregex of a deployed filter is compiled by the
// engine the Lambdas use, so a bad expression fails `cdk synth` with its file and line instead of a Lambda at 3 a.m.
import { ConfigError, type ConfigLocation } from "../../shared/errors.js";
import { FailRegex, FailRegexError } from "../../shared/filter/regex/fail-regex.js";
import type { DeployedFilter } from "./deployment-config.js";

/**
 * Compiles the expressions of `filter`; `locations` gives the file and line of each failregex then ignoreregex, in
 * order. Throws a ConfigError naming the file, line and the engine's reason.
 */
export function compileDeployedFilter(filter: DeployedFilter, locations: readonly ConfigLocation[]): void {
  const multiline = (filter.maxlines ?? 1) > 1;
  const attempt = (where: ConfigLocation, compile: () => FailRegex): FailRegex => {
    try {
      return compile();
    } catch (error) {
      if (!(error instanceof FailRegexError)) throw error;
      throw new ConfigError(`filter ${filter.source}: ${error.message}`, where, { cause: error });
    }
  };
  const fallback: ConfigLocation = { option: "filter" };
  const prefix =
    filter.prefregex === undefined
      ? undefined
      : attempt({ ...fallback, option: "prefregex" }, () =>
          FailRegex.compile(filter.prefregex!, { prefRegex: true, multiline, useDns: "no" }),
        );
  filter.failregex.forEach((regex, index) => {
    attempt(locations[index] ?? fallback, () =>
      FailRegex.compile(regex, { multiline, useDns: "no", ...(prefix ? { prefix } : {}) }),
    );
  });
  filter.ignoreregex.forEach((regex, index) => {
    attempt(locations[filter.failregex.length + index] ?? fallback, () =>
      FailRegex.compile(regex, { prefRegex: true, multiline, useDns: "no" }),
    );
  });
}

// The jail-reading recipe documented in shared/config/index.ts, followed step by step on a small tree, must give the
// options fail2ban's JailReader gives: the filter's resolved options reach the jail as %(known/...)s.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/config-loader.js";
import { resolveDefinitionOptions } from "../../shared/config/definition-options.js";
import { FILTER_OPTIONS } from "../../shared/config/filter-definition.js";
import type { LayeredConfig } from "../../shared/config/layered-config.js";
import { parseOptionSpec } from "../../shared/config/option-spec.js";
import { requireFail2ban } from "../support/reference.js";
import { type ReferenceJail, runFail2banReader } from "./reference/run-fail2ban-reader.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "jail-tree");
const OPTIONS = ["logpath", "failregex", "datepattern", "journalmatch", "action", "backend"];

/** What a jail reader does before reading a jail's options (fail2ban's JailReader.getOptions, first half). */
function mergeFilterIntoJail(config: LayeredConfig, jail: string): void {
  const backend = config.get(jail, "backend") ?? "auto";
  const { name, options } = parseOptionSpec(config.get(jail, "filter")!, { section: jail, option: "filter" });
  const filter = loadConfig(dir, `filter.d/${name}`);
  const args = { ...options };
  if (!args.logtype && !filter.section("Definition")?.has("logtype")) {
    args.logtype = backend.startsWith("systemd") ? "journal" : "file";
  }
  const jailOptions = Object.fromEntries(
    ["enabled", "backend", "filter"].flatMap((option) => {
      const value = config.get(jail, option);
      return value === undefined ? [] : [[option, value]];
    }),
  );
  const { values } = resolveDefinitionOptions({
    config: filter,
    knownOptions: FILTER_OPTIONS,
    args,
    callerOptions: jailOptions,
    allDefinitionOptions: true,
  });
  config.mergeSection(jail, Object.fromEntries(values), "known/");
}

describe("the jail reading recipe", () => {
  let reference: ReferenceJail[] = [];
  const jails = ["web", "journal"];
  beforeAll(() => {
    requireFail2ban();
    reference = runFail2banReader({ configDir: dir, jails: jails.map((name) => ({ name, options: OPTIONS })) }).jails;
  });

  it.each(jails.map((jail, index) => [jail, index] as const))("[%s] matches fail2ban's JailReader", (jail, index) => {
    const config = loadConfig(dir, "jail");
    config.mergeDefaults({ fail2ban_version: "1.0.2", fail2ban_confpath: dir });
    mergeFilterIntoJail(config, jail);
    const theirs = reference[index]!;
    expect(theirs.error).toBeUndefined();
    for (const option of OPTIONS) {
      expect(config.get(jail, option) ?? null, option).toBe(theirs.options![option] ?? null);
    }
  });

  it("gives the values one expects", () => {
    const config = loadConfig(dir, "jail");
    mergeFilterIntoJail(config, "web");
    expect(config.get("web", "failregex")).toBe("^aggressive failure from <HOST>$\n^extra <HOST>");
    expect(config.get("web", "action")).toBe('blocker[name=web, port="ssh"]');
    expect(config.get("web", "known/label")).toBe("aggressive-label");
    expect(config.get("web", "known/logtype")).toBe("file");
  });
});

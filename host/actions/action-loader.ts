// Reads an action.d file the way fail2ban does (layered .conf/.local, [INCLUDES], %(...)s interpolation) and
// resolves it for one jail: the jail's `action = name[key=value, ...]` arguments override the file's [Init].
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadConfig } from "../../shared/config/config-loader.js";
import type { LayeredConfig } from "../../shared/config/layered-config.js";
import type { ActionDefinition, Family } from "./action.js";

const FAMILY_SUFFIX = /^(.+)\?family=(inet4|inet6)$/;

/**
 * Loads `action.d/<name>` from `baseDir` and merges `args` (the jail's arguments: name, port, protocol, chain ...,
 * already as strings) over its [Init]. Throws ConfigError when the file is missing or malformed.
 *
 * @example
 * loadActionDefinition("config", "nftables", { name: "sshd", port: "ssh", protocol: "tcp" })
 */
export function loadActionDefinition(
  baseDir: string,
  name: string,
  args: Readonly<Record<string, string>>,
): ActionDefinition {
  const config = loadConfig(baseDir, `action.d/${name}`);
  return actionDefinitionFromConfig(name, config, args);
}

/** Builds the definition of an already loaded action configuration (see {@link loadActionDefinition}). */
export function actionDefinitionFromConfig(
  name: string,
  config: LayeredConfig,
  args: Readonly<Record<string, string>>,
): ActionDefinition {
  const definition: Record<string, string> = {};
  if (config.hasSection("Definition")) {
    for (const option of config.options("Definition")) definition[option] = config.get("Definition", option) ?? "";
  }
  const init: Record<string, string> = {};
  const initByFamily: Partial<Record<Family, Record<string, string>>> = {};
  if (config.hasSection("Init")) {
    for (const option of config.options("Init")) {
      const value = config.get("Init", option) ?? "";
      const conditional = FAMILY_SUFFIX.exec(option);
      // as in fail2ban, each [Init] option is also `known/<option>`: its value before the jail's arguments, which is
      // how fail2ban's jail.conf passes `chain="<known/chain>"` to keep the action's own default chain
      if (conditional) {
        const family = conditional[2] as Family;
        const base = conditional[1]!;
        initByFamily[family] = { ...initByFamily[family], [base]: value, [`known/${base}`]: value };
      } else {
        init[option] = value;
        if (!option.startsWith("known/")) init[`known/${option}`] = value;
      }
    }
  }
  // The jail's own arguments win over the file, also over its per-family values; an argument with a conditional name
  // (`blocktype?family=inet6="..."`, fail2ban 1.1.1) sets that family's value only, whatever the order.
  const perFamily: Array<[Family, string, string]> = [];
  for (const [key, value] of Object.entries(args)) {
    const option = key.toLowerCase();
    const conditional = FAMILY_SUFFIX.exec(option);
    if (conditional) {
      perFamily.push([conditional[2] as Family, conditional[1]!, value]);
      continue;
    }
    init[option] = value;
    for (const family of Object.values(initByFamily)) delete family[option];
  }
  for (const [family, option, value] of perFamily) initByFamily[family] = { ...initByFamily[family], [option]: value };
  // `<section/option>` and `<known/option>` tags, as fail2ban resolves them.
  const resolveTag = (tag: string): string | undefined => {
    if (!tag.includes("/")) return undefined;
    try {
      return config.getEx("Definition", tag);
    } catch {
      return undefined;
    }
  };
  return { name, file: config.files[0], definition, init, initByFamily, resolveTag, fingerprint: fingerprint(config) };
}

/** sha256 of the paths and contents of the files behind `config` (a file gone since counts as empty). */
function fingerprint(config: LayeredConfig): string {
  const hash = createHash("sha256");
  for (const file of config.files) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      // a file that cannot be read now hashes as empty
    }
    hash.update(`${file}\u0000${text}\u0000`);
  }
  return hash.digest("hex");
}

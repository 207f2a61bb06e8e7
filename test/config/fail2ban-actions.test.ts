// The [Definition]/[Init] machinery an action.d reader builds on (resolveDefinitionOptions) must resolve every action
// of fail2ban's own action.d exactly like fail2ban's ActionReader: commands, [Init] values, conditional values.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/config-loader.js";
import { resolveDefinitionOptions } from "../../shared/config/definition-options.js";
import { fail2banConfig, requireFail2ban } from "../support/reference.js";
import { type ReferenceOutput, runFail2banReader } from "./reference/run-fail2ban-reader.js";

// fail2ban's ActionReader option list, and the tags it leaves for ban time.
const ACTION_OPTIONS = [
  "actionstart",
  "actionstart_on_demand",
  "actionstop",
  "actionflush",
  "actionreload",
  "actioncheck",
  "actionrepair",
  "actionrepair_on_unban",
  "actionban",
  "actionprolong",
  "actionreban",
  "actionunban",
  "norestored",
];
const BOOLEAN_OPTIONS = new Set(["actionstart_on_demand", "actionrepair_on_unban", "norestored"]);
const RUNTIME_TAGS = ["matches", "ipmatches", "ipjailmatches", "timeout", "bantime"];

interface ActionCase {
  readonly name: string;
  readonly jail: string;
  readonly options: Record<string, string>;
  readonly jailOptions: Record<string, string>;
}

function buildCases(): ActionCase[] {
  const names = readdirSync(join(fail2banConfig, "action.d"))
    .filter((file) => file.endsWith(".conf"))
    .map((file) => file.slice(0, -".conf".length))
    .sort();
  const cases: ActionCase[] = names.map((name) => ({ name, jail: "sshd", options: {}, jailOptions: {} }));
  cases.push(
    {
      name: "iptables-multiport",
      jail: "sshd",
      options: { port: "ssh,sftp", protocol: "udp", name: "SSH" },
      jailOptions: {},
    },
    { name: "nftables", jail: "web", options: { type: "allports" }, jailOptions: { bantime: "600", port: "http" } },
    {
      name: "sendmail-whois",
      jail: "sshd",
      options: { dest: "root@localhost", sender: "f2b@localhost" },
      jailOptions: {},
    },
  );
  return cases;
}

/** What fail2ban's ActionReader does before reading: `name` defaults to the jail, `actname` made unique per jail. */
function actionArguments(entry: ActionCase): Record<string, string> {
  const args = { ...entry.options };
  args.name ??= entry.jail;
  const name = args.name;
  if (args.actname === undefined) {
    let actname = entry.name;
    if (name !== entry.jail) actname += name.startsWith(entry.jail) ? name.slice(entry.jail.length) : `-${name}`;
    args.actname = actname;
  }
  return args;
}

function asBoolean(value: string): boolean {
  return ["1", "yes", "true", "on"].includes(value.toLowerCase());
}

describe("fail2ban's action.d resolved like fail2ban's ActionReader", () => {
  requireFail2ban();
  const cases = buildCases();
  let reference: ReferenceOutput;

  beforeAll(() => {
    reference = runFail2banReader({ configDir: fail2banConfig, actions: cases });
  });

  it.each(cases.map((entry, index) => [`${entry.name}${JSON.stringify(entry.options)}`, entry, index] as const))(
    "%s",
    (_title, entry, index) => {
      const theirs = reference.actions[index]!;
      expect(theirs).not.toHaveProperty("error");
      if ("error" in theirs) return;
      const resolve = () =>
        resolveDefinitionOptions({
          config: loadConfig(fail2banConfig, `action.d/${entry.name}`),
          knownOptions: ACTION_OPTIONS,
          args: actionArguments(entry),
          callerOptions: entry.jailOptions,
          ignoreTags: RUNTIME_TAGS,
        });
      if ("noDefinition" in theirs) {
        // An include fragment (helpers-common.conf ...): fail2ban reads nothing from it; we refuse it clearly.
        expect(resolve).toThrow(/no \[Definition\] section/);
        return;
      }
      const { values, combined } = resolve();
      expect(Object.keys(theirs.values).length).toBeGreaterThan(0);
      for (const [option, expected] of Object.entries(theirs.values)) {
        // fail2ban sends its commands resolved, and [Init] values and arguments as written (tags resolved at ban time).
        const ours = ACTION_OPTIONS.includes(option) ? values.get(option) : combined.get(option);
        if (BOOLEAN_OPTIONS.has(option)) expect(asBoolean(ours ?? ""), option).toBe(expected);
        else expect(ours, option).toBe(expected);
      }
    },
  );
});

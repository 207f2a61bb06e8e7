// fail2ban 1.1.1 (gh-4069): arguments reach an action's conditional [Init?family=inet6] options too. A conditional
// option not given itself takes the value given for its base option (`blocktype=DROP` for both families), and one
// can be given on its own with a conditional name (`blocktype?family=inet6=...`). fail2ban 1.0.2 ignored both, so
// these cases are checked against their expected values only.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadActionDefinition } from "../../host/actions/action-loader.js";
import { loadConfig } from "../../shared/config/config-loader.js";
import { resolveDefinitionOptions } from "../../shared/config/definition-options.js";
import { parseOptionSpec } from "../../shared/config/option-spec.js";

const dir = mkdtempSync(join(tmpdir(), "cloudjail-conditional-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "action.d"));
writeFileSync(
  join(dir, "action.d", "act.conf"),
  [
    "[Definition]",
    "actionban = ban <ip> with <blocktype>",
    "[Init]",
    "blocktype = REJECT",
    "[Init?family=inet6]",
    "blocktype = REJECT6",
    "",
  ].join("\n"),
);

/** [blocktype, blocktype?family=inet6] for an action reference and jail options. */
function blocktypes(reference: string, jailOptions: Record<string, string> = {}): [string?, string?] {
  const { options } = parseOptionSpec(reference);
  const { combined } = resolveDefinitionOptions({
    config: loadConfig(dir, "action.d/act"),
    knownOptions: ["actionban"],
    args: options,
    callerOptions: jailOptions,
    ignoreTags: ["ip"],
  });
  return [combined.get("blocktype"), combined.get("blocktype?family=inet6")];
}

describe("conditional [Init] options and arguments", () => {
  it.each([
    ["act", {}, ["REJECT", "REJECT6"]],
    ["act[blocktype=DROP]", {}, ["DROP", "DROP"]],
    [
      'act[blocktype="DROP", blocktype?family=inet6="REJECT --reject-with icmp6-adm-prohibited"]',
      {},
      ["DROP", "REJECT --reject-with icmp6-adm-prohibited"],
    ],
    ["act[blocktype?family=inet6=DROP]", {}, ["REJECT", "DROP"]],
  ] as const)("%s with jail options %j", (reference, jail, expected) => {
    expect(blocktypes(reference, jail)).toEqual(expected);
  });

  it("parses a conditional argument name", () => {
    expect(parseOptionSpec("act[a=1, b?family=inet6=2]")).toEqual({
      name: "act",
      options: { a: "1", "b?family=inet6": "2" },
    });
  });
});

describe("the host action reader, same arguments", () => {
  it.each([
    ["act", ["REJECT", "REJECT6"]],
    ["act[blocktype=DROP]", ["DROP", "DROP"]],
    [
      'act[blocktype?family=inet6="REJECT --reject-with icmp6-adm-prohibited", blocktype=DROP]',
      ["DROP", "REJECT --reject-with icmp6-adm-prohibited"],
    ],
    ["act[blocktype?family=inet6=DROP]", ["REJECT", "DROP"]],
  ] as const)("%s", (reference, [inet4, inet6]) => {
    const definition = loadActionDefinition(dir, "act", parseOptionSpec(reference).options);
    expect(definition.init.blocktype).toBe(inet4);
    expect(definition.initByFamily?.inet6?.blocktype ?? definition.init.blocktype).toBe(inet6);
  });
});

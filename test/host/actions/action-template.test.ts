import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bindTicketTags, substituteConfigTags, ticketTagVariable } from "../../../host/actions/action-template.js";
import { ShellCommandRunner } from "../../../host/actions/command-runner.js";

const dir = mkdtempSync(join(tmpdir(), "cloudjail-template-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const marker = join(dir, "pwned");

// Attacker-written values as they arrive in matched log lines and captured user names.
const hostile = [
  `$(touch ${marker})`,
  `\`touch ${marker}\``,
  `'; touch ${marker}; echo '`,
  `"; touch ${marker}; echo "`,
  `a b\n; touch ${marker}\t*`,
  `\\'\\"$HOME $((1+1)) \${IFS} --help -rf`,
  "",
];

async function render(template: string, value: string): Promise<string> {
  const { script, tags } = bindTicketTags(substituteConfigTags(template, { name: "sshd" }));
  const env = Object.fromEntries(tags.map((tag) => [ticketTagVariable(tag), value]));
  const result = await new ShellCommandRunner().run(script, env, 5000);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

describe("ticket tags in shell scripts", () => {
  const positions: [string, string, (value: string) => string][] = [
    ["unquoted", "printf '[%s]' <matches>", (v) => `[${v}]`],
    ["in double quotes", `printf '%s' "user=<F-USER> in <name>"`, (v) => `user=${v} in sshd`],
    ["in single quotes", `printf '%s' 'user=<F-USER> in <name>'`, (v) => `user=${v} in sshd`],
    ["next to other text", "printf '%s|' x<ip>y <ip>", (v) => `x${v}y|${v}|`],
    ["after an escaped quote", `printf '%s' \\"<ip>\\"`, (v) => `"${v}"`],
  ];
  for (const [where, template, expected] of positions) {
    it(`reach the command as exactly one word, unevaluated, ${where}`, async () => {
      for (const value of hostile) expect(await render(template, value)).toBe(expected(value));
      expect(existsSync(marker)).toBe(false);
    });
  }

  it("keeps ticket values out of the script text", () => {
    const { script, tags } = bindTicketTags("iptables -I f2b-<name> 1 -s <ip> -j DROP # <ip>");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell text the action must produce
    expect(script).toBe('iptables -I f2b-<name> 1 -s "${CJ_IP}" -j DROP # <ip>');
    expect(tags).toEqual(["ip"]);
  });
});

describe("configuration tags", () => {
  it("are substituted recursively, innermost first", () => {
    const values = { type: "allports", "rule-allports": "-p <protocol>", protocol: "tcp", name: "sshd" };
    expect(substituteConfigTags("x <rule-<type>> <name><sp>y <ip>", values)).toBe("x -p tcp sshd y <ip>");
  });

  it("leave unknown tags as written, reporting them, and reject cycles", () => {
    const unknown: string[] = [];
    expect(
      substituteConfigTags(
        "From: <sendername> <<sender>>",
        { sendername: "Fail2Ban", sender: "fail2ban" },
        { unknown: (tag) => unknown.push(tag) },
      ),
    ).toBe("From: Fail2Ban <fail2ban>");
    expect(unknown).toEqual(["fail2ban"]);
    expect(
      substituteConfigTags("<ipt/rule> x", {}, { fallback: (tag) => (tag === "ipt/rule" ? "-j DROP" : undefined) }),
    ).toBe("-j DROP x");
    expect(() => substituteConfigTags("<a>", { a: "<b>", b: "<a>" }, { file: "x.conf", option: "actionban" })).toThrow(
      /x\.conf actionban: (tag <a> refers to itself|tags refer to each other without end)/,
    );
  });
});

// Migration: fail2ban's own action.d files (from the reference package) load and compile in cloudjail's runner,
// and in every one of them the banned address and matched lines reach the scripts only through the environment.
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Action } from "../../../host/actions/action.js";
import { loadActionDefinition } from "../../../host/actions/action-loader.js";
import { DryRunCommandRunner } from "../../../host/actions/command-runner.js";
import { readJails } from "../../../host/daemon/jail-config.js";
import { fail2banConfig, requireFail2ban } from "../../support/reference.js";

beforeAll(() => requireFail2ban());

const hostile = "$(touch /tmp/cloudjail-pwned)";

describe("fail2ban's action.d files", () => {
  it("compile and keep ticket values out of the script text", async () => {
    const names = readdirSync(join(fail2banConfig, "action.d"))
      .filter((file) => file.endsWith(".conf") && !/-common\.conf$/.test(file))
      .map((file) => file.replace(/\.conf$/, ""));
    expect(names.length).toBeGreaterThan(40);
    const compiled: string[] = [];
    for (const name of names) {
      const definition = loadActionDefinition(fail2banConfig, name, { name: "sshd", port: "ssh", protocol: "tcp" });
      const runner = new DryRunCommandRunner();
      const action = new Action(definition, { runner });
      await action.start();
      await action.ban([{ ip: "192.0.2.77", failures: 3, matches: [hostile], fields: { "F-USER": hostile } }]);
      for (const { script, env } of runner.records) {
        expect(script, `${name}: ${script}`).not.toContain("192.0.2.77");
        expect(script, `${name}: ${script}`).not.toContain(hostile);
        if (Object.values(env).includes("192.0.2.77")) compiled.push(name);
      }
    }
    // The firewall actions users migrate with all received the address.
    for (const name of [
      "iptables-multiport",
      "iptables-allports",
      "iptables-ipset",
      "nftables-multiport",
      "nftables-allports",
      "ufw",
      "firewallcmd-ipset",
      "sendmail-whois-lines",
    ]) {
      expect(compiled, name).toContain(name);
    }
  });
});

describe("fail2ban's stock jail.conf", () => {
  // jail.conf passes `chain="<known/chain>"` to every ban action: the action's own [Init] chain (INPUT), which only
  // resolves if each [Init] option is also known as `known/<option>`, as in fail2ban
  it.each(["action_", "action_mw", "action_mwl"])(
    "every jail with the %s action shortcut compiles with no unknown tag",
    (shortcut) => {
      const dir = mkdtempSync(join(tmpdir(), "cloudjail-stock-"));
      try {
        cpSync(fail2banConfig, dir, { recursive: true });
        writeFileSync(join(dir, "jail.local"), `[DEFAULT]\nenabled = true\naction = %(${shortcut})s\n`);
        const jails = readJails(dir);
        expect(jails.length).toBeGreaterThan(80);
        const warnings: string[] = [];
        for (const jail of jails) {
          for (const definition of jail.actions) {
            const runner = new DryRunCommandRunner();
            new Action(definition, {
              runner,
              warn: (message) => warnings.push(`[${jail.name}] ${message}`),
            });
          }
        }
        expect(warnings).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it("puts iptables-multiport's jump into the INPUT chain, as fail2ban does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cloudjail-stock-"));
    try {
      cpSync(fail2banConfig, dir, { recursive: true });
      writeFileSync(join(dir, "jail.local"), "[sshd]\nenabled = true\n");
      const [sshd] = readJails(dir);
      const runner = new DryRunCommandRunner();
      const action = new Action(sshd!.actions[0]!, { runner });
      await action.start();
      await action.stop();
      const scripts = runner.records.map((record) => record.script).join("\n");
      expect(scripts).toContain("-I INPUT -p $proto -m multiport --dports ssh -j f2b-sshd");
      expect(scripts).toContain("-D INPUT -p $proto -m multiport --dports ssh -j f2b-sshd");
      expect(scripts).not.toContain("<known/chain>");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

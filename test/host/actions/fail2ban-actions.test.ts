// Migration: fail2ban's own action.d files (from the reference package) load and compile in cloudjail's runner,
// and in every one of them the banned address and matched lines reach the scripts only through the environment.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Action } from "../../../host/actions/action.js";
import { loadActionDefinition } from "../../../host/actions/action-loader.js";
import { DryRunCommandRunner } from "../../../host/actions/command-runner.js";
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

// The enforcer's repair against a firewall simulated in memory (the real nftables case runs in
// daemon-firewall-repair.test.ts): only what is missing goes back, a lost rule set brings everything back, and a
// firewall that keeps failing is left to the retries' backoff instead of a repair loop.
import { describe, expect, it } from "vitest";
import { Action } from "../../../host/actions/action.js";
import type { CommandResult, CommandRunner } from "../../../host/actions/command-runner.js";
import { JailEnforcer } from "../../../host/daemon/jail-enforcer.js";

/** A firewall: `rules` (our chain is there) and `set` (the addresses); `broken` makes every command fail. */
class FakeFirewall implements CommandRunner {
  rules = false;
  readonly set = new Set<string>();
  broken = false;
  readonly runs: string[] = [];

  async run(script: string, env: Readonly<Record<string, string>>): Promise<CommandResult> {
    this.runs.push(script);
    const ok = (stdout = ""): CommandResult => ({ code: 0, signal: null, stdout, stderr: "", timedOut: false });
    const fail: CommandResult = { code: 1, signal: null, stdout: "", stderr: "no table", timedOut: false };
    if (this.broken) return fail;
    const ips = (env.CJ_IPS ?? env.CJ_IP ?? "").split(/,\s*/).filter(Boolean);
    switch (script.split(" ")[0]) {
      case "start":
        this.rules = true;
        return ok();
      case "check":
        return this.rules ? ok() : fail;
      case "list":
        return this.rules ? ok(`elements = { ${[...this.set].join(", ")} }`) : fail;
      case "ban":
        if (!this.rules) return fail;
        for (const ip of ips) this.set.add(ip);
        return ok();
      case "unban":
        for (const ip of ips) this.set.delete(ip);
        return ok();
      default:
        return ok();
    }
  }
}

function setUp(): { firewall: FakeFirewall; enforcer: JailEnforcer; warnings: string[]; errors: string[] } {
  const firewall = new FakeFirewall();
  const action = new Action(
    {
      name: "fake",
      definition: {
        actionstart: "start",
        actioncheck: "check",
        actionlist: "list",
        actionban: "ban <ip>",
        actionunban: "unban <ip>",
        actionbanbatch: "ban <ips>",
        actionunbanbatch: "unban <ips>",
      },
      init: {},
    },
    { runner: firewall, attempts: 2, backoffMs: 1 },
  );
  const warnings: string[] = [];
  const errors: string[] = [];
  const enforcer = new JailEnforcer(
    "sshd",
    [action],
    { error: (m) => errors.push(m), warning: (m) => warnings.push(m), debug: () => {} },
    50,
  );
  return { firewall, enforcer, warnings, errors };
}

/** The batch ban script as the action compiles it: the addresses come from the environment. */
const BAN_BATCH = 'ban "$' + '{CJ_IPS}"';

const ips = Array.from({ length: 10 }, (_, i) => `192.0.2.${i + 1}`);

describe("JailEnforcer.repair", () => {
  it("puts back only the addresses missing from the list", async () => {
    const { firewall, enforcer, warnings } = setUp();
    await enforcer.start();
    await enforcer.ban(ips.map((ip) => ({ ip })));
    firewall.set.delete("192.0.2.3");
    firewall.set.delete("192.0.2.7");
    firewall.runs.length = 0;
    expect(await enforcer.repair()).toBe(2);
    expect(firewall.runs).toEqual(["list", BAN_BATCH]);
    expect(firewall.set.size).toBe(10);
    expect(warnings).toEqual([
      "[sshd] Firewall repair: 2 of 10 inet4 bans of action fake missing, not in its list; putting them back",
    ]);
    // nothing missing: one listing, nothing else, nothing said
    firewall.runs.length = 0;
    expect(await enforcer.repair()).toBe(0);
    expect(firewall.runs).toEqual(["list"]);
    expect(warnings).toHaveLength(1);
  });

  it("starts the action again and puts back every ban when its rules are gone", async () => {
    const { firewall, enforcer, warnings } = setUp();
    await enforcer.start();
    await enforcer.ban(ips.map((ip) => ({ ip })));
    firewall.rules = false;
    firewall.set.clear();
    firewall.runs.length = 0;
    expect(await enforcer.repair()).toBe(10);
    expect(firewall.runs).toEqual(["list", "start", BAN_BATCH]);
    expect(firewall.set.size).toBe(10);
    expect(warnings[0]).toMatch(
      /10 of 10 inet4 bans of action fake missing, its rules are gone \(action fake: actionlist failed/,
    );
  });

  it("repairs everything after a ban that found the rules gone (actioncheck) and started them again", async () => {
    const { firewall, enforcer } = setUp();
    await enforcer.start();
    await enforcer.ban(ips.map((ip) => ({ ip })));
    firewall.rules = false;
    firewall.set.clear();
    await enforcer.ban([{ ip: "192.0.2.99" }]);
    await enforcer.sync(); // the repair queued behind the ban
    expect(firewall.set.size).toBe(11);
  });

  it("does not loop on a firewall that keeps failing: the retries back off", async () => {
    const { firewall, enforcer, errors } = setUp();
    await enforcer.start();
    firewall.broken = true;
    firewall.runs.length = 0;
    await enforcer.ban([{ ip: "192.0.2.50" }]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // the first try and the retries after 50, 100 and 200 ms: 4 rounds of (ban, check, start, ban) at most
    expect(firewall.runs.length).toBeLessThanOrEqual(4 * 4 + 4);
    expect(errors.some((message) => message.includes("Failed to ban 192.0.2.50, will retry"))).toBe(true);
    await enforcer.stop();
  });
});

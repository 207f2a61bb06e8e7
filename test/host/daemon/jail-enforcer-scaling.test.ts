// Under a flood a jail bans thousands of addresses: the enforcer's work per ban must not grow with the bans in
// force, and bans arriving while a script runs go out together in the next batch script, each address once.
import { describe, expect, it } from "vitest";
import { Action } from "../../../host/actions/action.js";
import type { CommandResult, CommandRunner } from "../../../host/actions/command-runner.js";
import { JailEnforcer } from "../../../host/daemon/jail-enforcer.js";

/** Records the scripts an action runs; can hold them until released, and fail the ones naming given addresses. */
class RecordingRunner implements CommandRunner {
  readonly runs: { operation: string; ips: string[] }[] = [];
  readonly failFor = new Set<string>();
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async run(script: string, env: Readonly<Record<string, string>>): Promise<CommandResult> {
    const operation = script.split(" ")[0]!;
    const ips = (env.CJ_IPS ?? env.CJ_IP ?? "").split(", ").filter(Boolean);
    this.runs.push({ operation, ips });
    await this.gate;
    const failed = ips.some((ip) => this.failFor.has(ip));
    return { code: failed ? 1 : 0, signal: null, stdout: "", stderr: failed ? "refused" : "", timedOut: false };
  }

  ipsOf(operation: string): string[] {
    return this.runs.filter((run) => run.operation === operation).flatMap((run) => run.ips);
  }
}

function enforcerWith(runner: RecordingRunner, errors: string[] = []) {
  const action = new Action(
    {
      name: "set",
      definition: {
        actionban: "ban <ip>",
        actionunban: "unban <ip>",
        actionbanbatch: "banbatch <ips>",
        actionunbanbatch: "unbanbatch <ips>",
      },
      init: {},
    },
    { runner, attempts: 1 },
  );
  const log = { error: (message: string) => errors.push(message), warning: () => {}, debug: () => {} };
  return new JailEnforcer("sshd", [action], log, 5);
}

const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

describe("jail enforcer under many bans", () => {
  it.each([10, 1_000, 20_000])(
    "one more ban with %i bans in force looks at one address and runs one script",
    async (inForce) => {
      const runner = new RecordingRunner();
      const enforcer = enforcerWith(runner);
      await enforcer.ban(Array.from({ length: inForce }, (_, i) => ({ ip: address(i) })));
      expect(enforcer.enforced()).toHaveLength(inForce);
      const examined = enforcer.examined;
      const runs = runner.runs.length;

      await enforcer.ban([{ ip: "192.0.2.1" }]);

      expect(enforcer.examined - examined).toBe(1);
      expect(runner.runs.slice(runs)).toEqual([{ operation: "ban", ips: ["192.0.2.1"] }]);
      // and an unban the same
      await enforcer.unban([address(3)]);
      expect(enforcer.examined - examined).toBe(2);
      expect(runner.runs.slice(runs + 1)).toEqual([{ operation: "unban", ips: [address(3)] }]);
      expect(enforcer.enforced()).toHaveLength(inForce);
    },
  );

  it("bans arriving while a script runs go out in one batch, each address once, in order", async () => {
    const runner = new RecordingRunner();
    const enforcer = enforcerWith(runner);
    runner.hold();
    const first = enforcer.ban([{ ip: address(0) }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runner.runs).toHaveLength(1);
    // one ban at a time, as the jail pipeline decides them
    const later = Array.from({ length: 999 }, (_, i) => enforcer.ban([{ ip: address(i + 1) }]));
    runner.release();
    await Promise.all([first, ...later]);

    expect(runner.runs.map((run) => [run.operation, run.ips.length])).toEqual([
      ["ban", 1],
      ["banbatch", 999],
    ]);
    expect(runner.ipsOf("banbatch")).toEqual(Array.from({ length: 999 }, (_, i) => address(i + 1)));
    expect(enforcer.examined).toBe(1000);
    expect(enforcer.pending()).toEqual([]);
  });

  it("a failed ban is reported, stays pending and is retried alone until it is in place", async () => {
    const runner = new RecordingRunner();
    const errors: string[] = [];
    const enforcer = enforcerWith(runner, errors);
    await enforcer.ban(Array.from({ length: 100 }, (_, i) => ({ ip: address(i) })));
    runner.failFor.add("192.0.2.9");
    await enforcer.ban([{ ip: "192.0.2.9" }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Failed to ban 192\.0\.2\.9.*will retry/);
    expect(enforcer.pending()).toEqual(["192.0.2.9"]);

    runner.failFor.clear();
    const runs = runner.runs.length;
    for (let i = 0; i < 200 && enforcer.pending().length > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(enforcer.pending()).toEqual([]);
    expect(runner.runs.slice(runs)).toEqual([{ operation: "ban", ips: ["192.0.2.9"] }]);
    expect(enforcer.enforced()).toHaveLength(101);
    await enforcer.stop();
  });
});

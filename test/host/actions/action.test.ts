import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Action, type ActionDefinition, ActionFailedError } from "../../../host/actions/action.js";
import { DryRunCommandRunner, ShellCommandRunner } from "../../../host/actions/command-runner.js";

const dir = mkdtempSync(join(tmpdir(), "cloudjail-action-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function definition(commands: Record<string, string>, init: Record<string, string> = {}): ActionDefinition {
  return { name: "test", definition: commands, init: { name: "sshd", state: dir, ...init } };
}

function lines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

describe("Action", () => {
  it("runs start, ban, unban and stop with config and ticket values", async () => {
    const log = join(dir, "basic.log");
    const action = new Action(
      definition(
        {
          actionstart: "echo start <name> >> <log>",
          actionban: "echo ban <name> <ip> <failures> <bantime> >> <log>",
          actionunban: "echo unban <ip> >> <log>",
          actionstop: "echo stop >> <log>",
        },
        { log },
      ),
      { runner: new ShellCommandRunner() },
    );
    await action.start();
    const banned = await action.ban([{ ip: "192.0.2.1", failures: 5, bantime: 600 }]);
    const unbanned = await action.unban([{ ip: "192.0.2.1" }]);
    await action.stop();
    expect(banned).toEqual({ done: ["192.0.2.1"], failed: [] });
    expect(unbanned.done).toEqual(["192.0.2.1"]);
    expect(lines(log)).toEqual(["start sshd", "ban sshd 192.0.2.1 5 600", "unban 192.0.2.1", "stop"]);
  });

  it("starts the IPv6 side on the first IPv6 ban, with the [Init?family=inet6] values", async () => {
    const runner = new DryRunCommandRunner();
    const action = new Action(
      {
        name: "fam",
        definition: { actionstart: "start <tool>", actionban: "<tool> add <ip>" },
        init: { tool: "iptables" },
        initByFamily: { inet6: { tool: "ip6tables" } },
      },
      { runner },
    );
    await action.start();
    await action.ban([{ ip: "192.0.2.1" }, { ip: "2001:db8::1" }]);
    expect(runner.records.map((record) => record.script)).toEqual([
      "start iptables",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell text the action must produce
      'iptables add "${CJ_IP}"',
      "start ip6tables",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell text the action must produce
      'ip6tables add "${CJ_IP}"',
    ]);
  });

  it("retries a failing ban, repairs with actionstart when actioncheck fails, and then succeeds", async () => {
    const log = join(dir, "repair.log");
    const ready = join(dir, "ready");
    const action = new Action(
      definition(
        {
          actionstart: "touch <ready> && echo start >> <log>",
          actioncheck: "test -e <ready>",
          actionban: "test -e <ready> && echo ban <ip> >> <log>",
        },
        { log, ready },
      ),
      { runner: new ShellCommandRunner(), backoffMs: 5 },
    );
    await action.start();
    rmSync(ready); // someone flushed the firewall under us
    const outcome = await action.ban([{ ip: "192.0.2.9" }]);
    expect(outcome.done).toEqual(["192.0.2.9"]);
    expect(lines(log)).toEqual(["start", "start", "ban 192.0.2.9"]);
  });

  it("reports a ban that keeps failing, after every attempt, and never as done", async () => {
    const warnings: string[] = [];
    const counter = join(dir, "attempts");
    writeFileSync(counter, "");
    const action = new Action(
      definition({ actionban: "echo x >> <counter>; echo 'no such set' >&2; exit 3" }, { counter }),
      {
        runner: new ShellCommandRunner(),
        attempts: 4,
        backoffMs: 1,
        warn: (message) => warnings.push(message),
      },
    );
    const outcome = await action.ban([{ ip: "192.0.2.7" }]);
    expect(outcome.done).toEqual([]);
    expect(outcome.failed).toHaveLength(1);
    expect(outcome.failed[0]!.error).toBeInstanceOf(ActionFailedError);
    expect(outcome.failed[0]!.error.message).toBe("action test: actionban failed (exit 3: no such set)");
    expect(lines(counter)).toHaveLength(4);
    expect(warnings).toHaveLength(4);
  });

  it("kills a script that hangs after the action's timeout", async () => {
    const action = new Action(definition({ actionban: "sleep 30" }, { timeout: "0.2" }), {
      runner: new ShellCommandRunner(),
      attempts: 1,
    });
    const started = Date.now();
    const outcome = await action.ban([{ ip: "192.0.2.7" }]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(outcome.failed[0]!.error.message).toContain("timed out");
  });

  it("bans many addresses in batches of a bounded size, one script per batch and family", async () => {
    const runner = new DryRunCommandRunner();
    const action = new Action(definition({ actionban: "one <ip>", actionbanbatch: "many <ipcount> <ips>" }), {
      runner,
      batchSize: 2000,
    });
    const tickets = Array.from({ length: 4500 }, (_, i) => ({ ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` }));
    const outcome = await action.ban([...tickets, { ip: "2001:db8::5" }]);
    expect(outcome.done).toHaveLength(4501);
    const scripts = runner.records.map((record) => record.script);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell text the action must produce
    expect(scripts).toEqual(Array(3).fill('many "${CJ_IPCOUNT}" "${CJ_IPS}"').concat(['one "${CJ_IP}"']));
    expect(runner.records.map((record) => record.env.CJ_IPCOUNT)).toEqual(["2000", "2000", "500", undefined]);
    expect(runner.records[0]!.env.CJ_IPS!.split(", ")[1]).toBe("10.0.0.1");
  });
});

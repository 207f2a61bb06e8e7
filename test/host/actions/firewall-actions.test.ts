// The bundled firewall actions against the real nft / iptables / ipset, inside a network namespace the test creates:
// a banned client's TCP connection fails, another client's still succeeds, unban and stop undo everything.
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Action } from "../../../host/actions/action.js";
import { loadActionDefinition } from "../../../host/actions/action-loader.js";
import { ShellCommandRunner } from "../../../host/actions/command-runner.js";
import { canUseNetns, createTestNetwork, startTcpServer, type TestNetwork, tcpConnects } from "../support/netns.js";

const configDir = join(import.meta.dirname, "..", "..", "..", "config");
const port = 2222;

let network: TestNetwork;
let server: ChildProcess;

beforeAll(async () => {
  if (!canUseNetns()) throw new Error("these tests need root and iproute2 (run scripts/prepare-test-env.mjs)");
  network = createTestNetwork(["attacker", "good"]);
  server = await startTcpServer(network, port);
});
afterAll(() => {
  server?.kill();
  network?.destroy();
});

const cases: {
  action: string;
  args: Record<string, string>;
  inspect: string[];
  counted: RegExp;
  inspect6: string[];
}[] = [
  {
    action: "nftables",
    args: {},
    inspect: ["nft", "list", "set", "inet", "cloudjail", "addr4-probe"],
    inspect6: ["nft", "list", "set", "inet", "cloudjail", "addr6-probe"],
    counted: /\d+\.\d+\.\d+\.\d+/g,
  },
  {
    action: "nftables-allports",
    args: { blocktype: "drop" },
    inspect: ["nft", "list", "set", "inet", "cloudjail", "addr4-probe"],
    inspect6: ["nft", "list", "set", "inet", "cloudjail", "addr6-probe"],
    counted: /\d+\.\d+\.\d+\.\d+/g,
  },
  {
    action: "iptables-multiport",
    args: {},
    inspect: ["iptables", "-S", "cj-probe"],
    inspect6: ["ip6tables", "-S", "cj-probe"],
    counted: /^-A cj-probe -s /gm,
  },
  {
    action: "iptables-allports",
    args: { blocktype: "DROP" },
    inspect: ["iptables", "-S", "cj-probe"],
    inspect6: ["ip6tables", "-S", "cj-probe"],
    counted: /^-A cj-probe -s /gm,
  },
  {
    action: "ipset",
    args: {},
    inspect: ["ipset", "list", "cj-probe"],
    counted: /^\d+\.\d+\.\d+\.\d+$/gm,
    inspect6: ["ipset", "list", "cj6-probe"],
  },
];

describe.each(cases)("action $action in a namespace", ({ action: actionName, args, inspect, counted, inspect6 }) => {
  it("bans and unbans one address, batches thousands, flushes and stops cleanly", async () => {
    const attacker = network.clients[0]!;
    const good = network.clients[1]!;
    const definition = loadActionDefinition(configDir, actionName, {
      name: "probe",
      port: String(port),
      protocol: "tcp",
      ...args,
    });
    const action = new Action(definition, {
      runner: new ShellCommandRunner(["ip", "netns", "exec", network.server]),
      timeoutMs: 20_000,
    });
    await action.start();
    // Started twice (a restart) must not duplicate anything.
    await new Action(definition, { runner: new ShellCommandRunner(["ip", "netns", "exec", network.server]) }).start();
    expect(tcpConnects(network, attacker.name, port)).toBe(true);

    expect(await action.ban([{ ip: attacker.address, failures: 5, bantime: 600 }])).toEqual({
      done: [attacker.address],
      failed: [],
    });
    expect(tcpConnects(network, attacker.name, port, 800)).toBe(false);
    expect(tcpConnects(network, good.name, port)).toBe(true);

    expect((await action.unban([{ ip: attacker.address }])).done).toEqual([attacker.address]);
    expect(tcpConnects(network, attacker.name, port)).toBe(true);
    // Unbanning what is not banned any more is not a failure.
    expect((await action.unban([{ ip: attacker.address }])).failed).toEqual([]);

    const many = Array.from({ length: 3000 }, (_, i) => ({ ip: `198.18.${i >> 8}.${i & 255}` }));
    const started = Date.now();
    const outcome = await action.ban(many);
    const elapsed = Date.now() - started;
    expect(outcome.failed).toEqual([]);
    expect(outcome.done).toHaveLength(3000);
    expect(network.exec(network.server, inspect).match(counted)?.length).toBe(3000);
    if (actionName !== "iptables-multiport" && actionName !== "iptables-allports") expect(elapsed).toBeLessThan(5000);
    // what the firewall holds, as the daemon's repair asks it: every address, in one listing
    const inspections = await action.inspect();
    expect(inspections.map((inspection) => inspection.state)).toEqual(["listed"]);
    expect(inspections[0]?.state === "listed" ? [...inspections[0].ips].sort() : []).toEqual(
      many.map((ticket) => ticket.ip).sort(),
    );

    // IPv6: the family's own set or chain, started on the first IPv6 ban.
    expect((await action.ban([{ ip: "2001:db8::bad" }, { ip: "2001:db8::beef" }])).failed).toEqual([]);
    expect(network.exec(network.server, inspect6)).toMatch(
      /2001:db8::bad[\s\S]*2001:db8::beef|2001:db8::beef[\s\S]*2001:db8::bad/,
    );
    expect((await action.unban([{ ip: "2001:db8::bad" }])).failed).toEqual([]);
    expect(network.exec(network.server, inspect6)).not.toContain("2001:db8::bad");

    expect(await action.flush()).toBe(true);
    expect(network.exec(network.server, inspect).match(counted)).toBeNull();
    await action.stop();
    expect(() => network.exec(network.server, inspect)).toThrow();
    expect(() => network.exec(network.server, inspect6)).toThrow();
  });
});

// Network namespaces for host-mode tests: a "server" namespace and client namespaces joined by veth pairs on a
// test network (10.200.N.0/24), so that firewall rules are made and tested away from the host's own tables.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";

/** A server namespace with clients, each on its own veth pair. */
export interface TestNetwork {
  readonly server: string;
  readonly serverAddress: string;
  readonly clients: { readonly name: string; readonly address: string }[];
  /** Runs argv inside a namespace, returns stdout; throws with stderr on failure. */
  exec(namespace: string, argv: readonly string[], input?: string): string;
  /** Removes every namespace (and so its interfaces and firewall tables). */
  destroy(): void;
}

/** True when this process may create network namespaces (root with iproute2). */
export function canUseNetns(): boolean {
  return process.getuid?.() === 0 && spawnSync("ip", ["netns", "list"]).status === 0;
}

function run(argv: readonly string[], input?: string): string {
  return execFileSync(argv[0]!, argv.slice(1), { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

/** Creates the namespaces; `clients` names the client namespaces wanted (suffixes). */
export function createTestNetwork(clients: readonly string[]): TestNetwork {
  const id = `${process.pid.toString(36)}${randomInt(1296).toString(36)}`;
  const subnet = `10.200.${randomInt(1, 250)}`;
  const server = `cjs-${id}`;
  const created: string[] = [];
  const network: TestNetwork = {
    server,
    serverAddress: `${subnet}.1`,
    clients: [],
    exec: (namespace, argv, input) => run(["ip", "netns", "exec", namespace, ...argv], input),
    destroy: () => {
      for (const name of created) spawnSync("ip", ["netns", "del", name]);
    },
  };
  try {
    run(["ip", "netns", "add", server]);
    created.push(server);
    run(["ip", "-n", server, "link", "set", "lo", "up"]);
    clients.forEach((suffix, index) => {
      const name = `cjc${index}-${id}`;
      run(["ip", "netns", "add", name]);
      created.push(name);
      const here = `cjv${index}s${id}`.slice(0, 15);
      const there = `cjv${index}c${id}`.slice(0, 15);
      run(["ip", "link", "add", here, "netns", server, "type", "veth", "peer", "name", there, "netns", name]);
      // One /32 per client on the server side, routed over that client's veth.
      const clientAddress = `${subnet}.${10 + index}`;
      if (index === 0) run(["ip", "-n", server, "addr", "add", `${network.serverAddress}/32`, "dev", "lo"]);
      run(["ip", "-n", server, "link", "set", here, "up"]);
      run(["ip", "-n", server, "route", "add", `${clientAddress}/32`, "dev", here]);
      run(["ip", "-n", name, "link", "set", "lo", "up"]);
      run(["ip", "-n", name, "addr", "add", `${clientAddress}/32`, "dev", there]);
      run(["ip", "-n", name, "link", "set", there, "up"]);
      run(["ip", "-n", name, "route", "add", `${network.serverAddress}/32`, "dev", there]);
      network.clients.push({ name, address: clientAddress });
      void suffix;
    });
  } catch (error) {
    network.destroy();
    throw error;
  }
  return network;
}

/** Starts a TCP server inside a namespace that greets and closes; returns the process to kill. */
export function startTcpServer(network: TestNetwork, port: number): Promise<ChildProcess> {
  const script = `require("node:net").createServer((s) => { s.on("error", () => {}); s.end("hello\\n"); }).listen(${port}, "0.0.0.0", () => console.log("ready"));`;
  const child = spawn("ip", ["netns", "exec", network.server, process.execPath, "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`test TCP server exited (${code})`)));
  });
}

/** Tries a TCP connection from a client namespace; true when it was accepted within `timeoutMs`. */
export function tcpConnects(network: TestNetwork, client: string, port: number, timeoutMs = 1500): boolean {
  const script = `const s = require("node:net").connect(${port}, ${JSON.stringify(network.serverAddress)});
s.setTimeout(${timeoutMs}, () => process.exit(2)); s.on("connect", () => process.exit(0)); s.on("error", () => process.exit(1));`;
  const result = spawnSync("ip", ["netns", "exec", client, process.execPath, "-e", script], {
    timeout: timeoutMs + 3000,
  });
  return result.status === 0;
}

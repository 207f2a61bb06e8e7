// `cloudjail server` at start, as a user runs it: one instance per socket, pid file and database (a second server
// changes nothing in the firewall: checked with nftables in a network namespace), `--test` exit codes, a user who
// is not root gets one sentence and no stack trace (in the daemon's log too), and systemd hears of a degraded
// daemon through sd_notify STATUS.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../support/cli-bundle.js";
import { canUseNetns, createTestNetwork, type TestNetwork } from "../support/netns.js";
import { clientOf, readOrMissing, startServerInNetns, stopServer, waitFor } from "../support/netns-daemon.js";
import { makeConfigDir } from "../support/test-config.js";

let cli: string;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "cloudjail-start-"));
  chmodSync(work, 0o755);
  cli = await buildCli();
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  if (cli) rmSync(dirname(cli), { recursive: true, force: true });
});

/** A tree with the given jail.conf and daemon settings under `run`. */
function tree(run: string, jailConf: string, files: Record<string, string> = {}): string {
  mkdirSync(run, { recursive: true });
  return makeConfigDir({
    "fail2ban.conf": `[Definition]\nloglevel = INFO\nlogtarget = ${join(run, "cloudjail.log")}\nsocket = ${join(run, "sock", "cloudjail.sock")}\npidfile = ${join(run, "pid", "cloudjail.pid")}\ndbfile = ${join(run, "db", "cloudjail.sqlite3")}\n`,
    "jail.conf": jailConf,
    ...files,
  });
}

describe("a second server", () => {
  let network: TestNetwork;
  beforeAll(() => {
    if (!canUseNetns()) throw new Error("this test needs root and iproute2 (run scripts/prepare-test-env.mjs)");
    network = createTestNetwork([]);
  });
  afterAll(() => network?.destroy());

  it("is refused before any action runs: the first one's nftables set stays intact", async () => {
    const run = join(work, "second");
    const authLog = join(run, "auth.log");
    const configDir = tree(
      run,
      `[DEFAULT]\nbantime = 1h\nmaxretry = 3\n\n[sshd]\nenabled = true\nlogpath = ${authLog}\naction = nftables[port=22, protocol=tcp]\n`,
    );
    writeFileSync(authLog, "");
    const socket = join(run, "sock", "cloudjail.sock");
    const inNetns = (...argv: string[]) => ["ip", "netns", "exec", network.server, process.execPath, cli, ...argv];
    const server = (...extra: string[]) => {
      const argv = inNetns("server", "--config", configDir, ...extra);
      return spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 30_000 });
    };
    const client = clientOf(cli, socket);
    const setElements = () =>
      network.exec(network.server, ["nft", "list", "set", "inet", "cloudjail", "addr4-sshd"]).replace(/\s+/g, " ");
    let first: ChildProcess | undefined;
    try {
      const debug = () => readOrMissing(join(run, "cloudjail.log"));
      first = await startServerInNetns(network, cli, ["--config", configDir], socket, debug);
      expect(client("set", "sshd", "banip", "192.0.2.5", "192.0.2.6")).toBe("2");
      await waitFor("the bans in nftables", () => setElements().includes("192.0.2.5, 192.0.2.6"), 10_000, debug);
      const before = setElements();

      const cases = [
        { extra: [], message: `another server answers on ${socket}: stop it first (nothing was changed)` },
        { extra: ["--socket", join(run, "other.sock")], message: "already uses the pid file" },
        {
          extra: ["--socket", join(run, "other.sock"), "--pidfile", join(run, "other.pid")],
          message: `already uses the database ${join(run, "db", "cloudjail.sqlite3")}.lock`,
        },
      ];
      for (const { extra, message } of cases) {
        const second = server(...extra);
        expect(second.status, second.stderr).toBe(1);
        expect(setElements()).toBe(before);
        expect(second.stderr).toContain(message);
        expect(second.stderr).not.toMatch(/\n\s+at /);
      }
      expect(client("status", "sshd")).toContain("Banned IP list:\t192.0.2.5 192.0.2.6");
      expect(readOrMissing(join(run, "cloudjail.log"))).toContain("ERROR   another cloudjail server (pid");
      expect(statSync(join(run, "pid")).mode & 0o777).toBe(0o700);
      // the pid file holds the daemon's pid alone, a live process running our command
      const pid = readOrMissing(join(run, "pid", "cloudjail.pid"));
      expect(pid).toMatch(/^\d+\n$/);
      expect(readFileSync(`/proc/${pid.trim()}/cmdline`, "utf8")).toContain(cli);
    } finally {
      await stopServer(first);
      rmSync(configDir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe("cloudjail server --test", () => {
  const test = (configDir: string, flag = "--test") =>
    spawnSync(process.execPath, [cli, "server", flag, "--config", configDir], { encoding: "utf8" });

  it("exits 0 on a good tree and says what each jail reads", () => {
    const run = join(work, "test-good");
    const configDir = tree(run, `[sshd]\nenabled = true\nlogpath = ${join(run, "cloudjail.log")}\naction = dry-run\n`);
    writeFileSync(join(run, "cloudjail.log"), "");
    const result = test(configDir);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("OK       sshd: reading the files of logpath (backend = auto:");
    expect(result.stdout).toContain("OK: configuration test is successful");
  });

  it.each([["--test"], ["-t"]])("%s exits 1 on a tree with problems and prints every one", (flag) => {
    const run = join(work, `test-bad${flag}`);
    const jailConf = `[DEFAULT]\naction = dry-run\nlogpath = /nonexistent/auth.log\n\n[sshd]\nenabled = true\n\n[web]\nenabled = true\nfilter = no-such-filter\n\n[mail]\nenabled = true\nfilter = sshd\nbantime = forever\n\n[broken]\nenabled = true\n`;
    const configDir = tree(run, jailConf, {
      "filter.d/broken.conf": "[Definition]\nfailregex = ^Failed from <HOST>\n",
      "filter.d/broken.local": "[Definition]\nfailregex = ^(Failed from <HOST>\n",
    });
    const result = test(configDir, flag);
    expect(result.status).toBe(1);
    const errors = result.stdout.split("\n").filter((line) => line.startsWith("ERROR"));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^ERROR {4}jail 'web': .*jail\.conf:10 \[web\] filter: unknown filter 'no-such-filter'/);
    expect(errors[1]).toMatch(/^ERROR {4}jail 'mail': .*jail\.conf:15 \[mail\] bantime: /);
    expect(errors[2]).toMatch(/^ERROR {4}jail 'broken': .*broken\.local:2 \[Definition\] failregex: /);
    expect(result.stdout).toContain(
      "WARNING  jail 'sshd': no readable log source yet: no file matches logpath /nonexistent/auth.log",
    );
    expect(result.stdout).toMatch(/FAILED: 3 problems in the configuration\n$/);
  });

  it("exits 1 when the tree cannot be read at all", () => {
    const run = join(work, "test-syntax");
    const result = test(tree(run, "[sshd\nenabled = true\n"));
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/ERROR {4}.*jail\.conf:1/);
  });
});

describe("a user who is not root", () => {
  it("gets one sentence, no stack trace, exit 1, and the daemon's log file gets it too", () => {
    const run = join(work, "nobody");
    mkdirSync(run, { recursive: true, mode: 0o777 });
    chmodSync(run, 0o777);
    const log = join(run, "cloudjail.log");
    const result = spawnSync(
      "setpriv",
      [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        process.execPath,
        cli,
        "server",
        "--dry-run",
        "--logtarget",
        log,
      ],
      { encoding: "utf8", cwd: "/" },
    );
    expect(result.status).toBe(1);
    // the first write under /run/cloudjail: the folder itself, or the pid file when a root run made the folder before
    const refused = String.raw`(?:mkdir \/run\/cloudjail|open \/run\/cloudjail\/cloudjail\.pid\S*): permission denied`;
    // after the line that says which configuration tree is read, one sentence and nothing else
    expect(result.stderr).toMatch(
      new RegExp(
        String.raw`^cloudjail server: configuration: [^\n]*\ncloudjail: cannot start: ${refused}: run cloudjail server as root.*\(running as uid 65534, not root\)\n$`,
      ),
    );
    expect(result.stderr).not.toContain("internal error");
    expect(readOrMissing(log)).toMatch(new RegExp(String.raw`ERROR {3}cannot start: ${refused}`));
  });
});

describe("a mistake in the daemon's own settings", () => {
  it("goes to stderr and to the log target it names, exit 1", () => {
    const run = join(work, "settings");
    mkdirSync(run, { recursive: true });
    const log = join(run, "cloudjail.log");
    const configDir = makeConfigDir({
      "fail2ban.conf": `[Definition]\nlogtarget = ${log}\nsocket = ${join(run, "sock")}\npidfile = ${join(run, "pid")}\n`,
      "fail2ban.local": "[Definition]\nloglevel = VERBOSE\n",
      "jail.conf": "[sshd]\nenabled = false\n",
    });
    try {
      const result = spawnSync(process.execPath, [cli, "server", "--config", configDir], { encoding: "utf8" });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(
        /^cloudjail: .*fail2ban\.local:2 \[Definition\] loglevel: unknown loglevel 'VERBOSE'/,
      );
      expect(readOrMissing(log)).toMatch(
        /ERROR {3}cannot start: .*fail2ban\.local:2 \[Definition\] loglevel: unknown loglevel 'VERBOSE'/,
      );
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
  });
});

describe("under systemd", () => {
  it("tells systemd (sd_notify STATUS) that the daemon is degraded when a jail failed", async () => {
    const run = join(work, "notify");
    const authLog = join(run, "auth.log");
    const configDir = tree(
      run,
      `[DEFAULT]\naction = dry-run\nlogpath = ${authLog}\n\n[sshd]\nenabled = true\n\n[web]\nenabled = true\nfilter = no-such-filter\n`,
    );
    writeFileSync(authLog, "");
    // a datagram socket as systemd's NOTIFY_SOCKET (Node has none: Python plays systemd's side)
    const notifySocket = join(run, "notify.sock");
    const received = join(run, "notify.txt");
    const listener = spawn("python3", [
      "-c",
      `import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind(${JSON.stringify(notifySocket)})\nopen(${JSON.stringify(`${received}.ready`)}, "w").close()\ns.settimeout(30)\ndata = s.recv(4096)\nopen(${JSON.stringify(`${received}.tmp`)}, "wb").write(data)\nimport os\nos.rename(${JSON.stringify(`${received}.tmp`)}, ${JSON.stringify(received)})\n`,
    ]);
    let daemon: ChildProcess | undefined;
    try {
      await waitFor(
        "the notify socket",
        () => readOrMissing(`${received}.ready`) !== "(missing)",
        30_000,
        () => "",
      );
      daemon = spawn(process.execPath, [cli, "server", "--config", configDir], {
        env: { ...process.env, NOTIFY_SOCKET: notifySocket },
        stdio: "ignore",
      });
      await waitFor(
        "the STATUS message",
        () => readOrMissing(received) !== "(missing)",
        20_000,
        () => readOrMissing(join(run, "cloudjail.log")),
      );
      expect(readOrMissing(received)).toMatch(
        /^STATUS=degraded: 1 jail running; web: .*jail\.conf:\d+ \[web\] filter: unknown filter 'no-such-filter'/,
      );
    } finally {
      listener.kill();
      await stopServer(daemon);
      rmSync(configDir, { recursive: true, force: true });
    }
  }, 60_000);
});

// A real OpenSSH server (Debian's /usr/sbin/sshd) in a test namespace. sshd runs in the foreground logging to
// stderr (-e); this process plays the syslog daemon and appends each message to a log file in the usual
// "TIMESTAMP HOST sshd[PID]: message" shape, as rsyslog would into /var/log/auth.log.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { TestNetwork } from "./netns.js";

/** A running sshd and the client key it accepts for root. */
export interface TestSshd {
  readonly logPath: string;
  readonly clientKey: string;
  stop(): void;
}

/** Starts sshd on port 22 of the network's server namespace; resolves once it listens. */
export async function startSshd(network: TestNetwork, dir: string): Promise<TestSshd> {
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const hostKey = join(dir, "ssh_host_ed25519_key");
  const clientKey = join(dir, "client_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey]);
  const authorizedKeys = join(dir, "authorized_keys");
  execFileSync("cp", [`${clientKey}.pub`, authorizedKeys]);
  chmodSync(authorizedKeys, 0o600);
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      "ListenAddress 0.0.0.0:22",
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      "PasswordAuthentication yes",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "PermitRootLogin yes",
      "StrictModes no",
      "LogLevel INFO",
      "MaxStartups 100",
      "",
    ].join("\n"),
  );
  const logPath = join(dir, "auth.log");
  writeFileSync(logPath, "");
  const child: ChildProcess = spawn(
    "ip",
    ["netns", "exec", network.server, "/usr/sbin/sshd", "-D", "-e", "-f", config],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stopped = false;
  const listening = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on("line", (message) => {
      if (stopped) return;
      appendFileSync(logPath, `${new Date().toISOString()} server sshd[${child.pid}]: ${message}\n`);
      if (message.startsWith("Server listening on")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`sshd exited (${code}); see ${logPath}`)));
  });
  await listening;
  return {
    logPath,
    clientKey,
    stop: () => {
      stopped = true;
      child.kill();
    },
  };
}

const sshOptions = [
  "-o",
  "StrictHostKeyChecking=no",
  "-o",
  "UserKnownHostsFile=/dev/null",
  "-o",
  "ConnectTimeout=3",
  "-o",
  "LogLevel=ERROR",
];

/** One password attempt with the real ssh client through sshpass; returns ssh's exit code. */
export function sshPasswordAttempt(network: TestNetwork, client: string, password: string): number {
  try {
    execFileSync(
      "ip",
      [
        "netns",
        "exec",
        client,
        "sshpass",
        "-p",
        password,
        "ssh",
        ...sshOptions,
        "-o",
        "PreferredAuthentications=password",
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        "NumberOfPasswordPrompts=1",
        `root@${network.serverAddress}`,
        "true",
      ],
      { stdio: "ignore", timeout: 15_000 },
    );
    return 0;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

/** A key login as root that runs `echo ok`; true when it worked. */
export function sshKeyLogin(network: TestNetwork, client: string, key: string): boolean {
  try {
    const out = execFileSync(
      "ip",
      [
        "netns",
        "exec",
        client,
        "ssh",
        ...sshOptions,
        "-o",
        "BatchMode=yes",
        "-i",
        key,
        `root@${network.serverAddress}`,
        "echo ok",
      ],
      { encoding: "utf8", timeout: 15_000 },
    );
    return out.trim() === "ok";
  } catch {
    return false;
  }
}

// Generates a large, realistic syslog auth.log for benchmarks: deterministic (seeded), never committed. Mostly
// normal traffic with brute-force bursts from a set of attackers, IPv4 and IPv6, and user names that carry addresses
// (log injection), as a real exposed SSH server sees.
import { writeFileSync } from "node:fs";

/** A small deterministic PRNG (mulberry32), so every run writes the same file. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function syslogDate(epoch: number): string {
  const d = new Date(epoch * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Writes `lines` lines to `path`, dated in UTC ending `endEpoch`; returns the number of attacker lines. */
export function writeAuthLog(path: string, lines: number, endEpoch: number): { attackLines: number } {
  const random = seededRandom(0xc10d);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const attackers = Array.from({ length: 400 }, (_, i) =>
    i % 10 === 0
      ? `2001:db8:${(i * 7).toString(16)}::${(i + 1).toString(16)}`
      : `203.0.${113 + (i % 3)}.${((i * 37) % 254) + 1}`,
  );
  const users = ["root", "admin", "oracle", "test", "ubuntu", "postgres", "git", "deploy", "pi", "user"];
  const legit = ["198.51.100.10", "198.51.100.11", "198.51.100.12"];
  const out: string[] = [];
  let attackLines = 0;
  const start = endEpoch - lines; // about one line per second
  for (let i = 0; i < lines; i++) {
    const date = syslogDate(start + i);
    const pid = 1000 + Math.floor(random() * 60000);
    const port = 1024 + Math.floor(random() * 60000);
    const r = random();
    let message: string;
    if (r < 0.35) {
      const ip = pick(attackers);
      attackLines++;
      const kind = random();
      if (kind < 0.4) message = `sshd[${pid}]: Failed password for ${pick(users)} from ${ip} port ${port} ssh2`;
      else if (kind < 0.7)
        message = `sshd[${pid}]: Failed password for invalid user ${pick(users)} from ${ip} port ${port} ssh2`;
      else if (kind < 0.85) message = `sshd[${pid}]: Invalid user ${pick(users)} from ${ip} port ${port}`;
      else if (kind < 0.95)
        message = `sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${pick(users)}`;
      else message = `sshd[${pid}]: Failed password for invalid user from 10.9.8.7 from ${ip} port ${port} ssh2`;
    } else if (r < 0.45) {
      message = `sshd[${pid}]: Accepted publickey for deploy from ${pick(legit)} port ${port} ssh2: ED25519 SHA256:q1w2e3r4t5y6u7i8o9p0`;
    } else if (r < 0.55) {
      message = `sshd[${pid}]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)`;
    } else if (r < 0.65) {
      message = `sshd[${pid}]: Received disconnect from ${pick(legit)} port ${port}:11: disconnected by user`;
    } else if (r < 0.8) {
      message = `CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`;
    } else if (r < 0.9) {
      message = `systemd-logind[${pid}]: New session ${i} of user deploy.`;
    } else {
      message = `sudo[${pid}]:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl status nginx`;
    }
    out.push(`${date} bastion ${message}`);
  }
  writeFileSync(path, `${out.join("\n")}\n`);
  return { attackLines };
}

// Installs what the test suite needs on a fresh machine, idempotently:
// - Debian packages (Java for DynamoDB Local, firewall tools, OpenSSH for the host-mode end-to-end test);
// - the reference fail2ban package, downloaded and unpacked into a cache folder outside the repository.
// Nothing here is committed; every step is skipped when its result is already present.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const cacheRoot =
  process.env.CLOUDJAIL_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cloudjail");
export const fail2banRoot = join(cacheRoot, "reference", "fail2ban", "root");

const debianPackages = [
  ["java", "openjdk-17-jre-headless"],
  ["nft", "nftables"],
  ["iptables", "iptables"],
  ["ipset", "ipset"],
  ["ip", "iproute2"],
  ["sshd", "openssh-server", "/usr/sbin/sshd"],
  ["ssh", "openssh-client"],
  ["sshpass", "sshpass"],
  ["journalctl", "systemd"],
  // logtarget = SYSLOG goes through util-linux's logger (Essential on Debian; listed for minimal images)
  ["logger", "bsdutils"],
  // the reference fail2ban (and CPython's re, for the regex differential tests) run on Debian's Python
  ["python3", "python3", "/usr/bin/python3"],
  // without it the reference fail2ban polls files, which would flatter our latency comparison
  ["pyinotify", "python3-pyinotify", "/usr/lib/python3/dist-packages/pyinotify.py"],
  // `regex systemd-journal[...]` is checked on real journal files (written from journal export format), read by the
  // reference fail2ban-regex through python-systemd
  ["systemd-journal-remote", "systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"],
  ["python3-systemd", "python3-systemd", "/usr/lib/python3/dist-packages/systemd/journal.py"],
  // systemd/cloudjail.logrotate is run by the real logrotate against the daemon's log
  ["logrotate", "logrotate", "/usr/sbin/logrotate"],
];

function have(command, path) {
  if (path && existsSync(path)) return true;
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function log(message) {
  process.stderr.write(`[prepare] ${message}\n`);
}

function aptInstall() {
  const missing = debianPackages.filter(([command, , path]) => !have(command, path)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    log(`missing Debian packages ${missing.join(" ")} and not root: install them, some tests need them`);
    return;
  }
  log(`installing Debian packages: ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { stdio: "inherit", env });
}

function referenceFail2ban() {
  if (existsSync(join(fail2banRoot, "etc", "fail2ban", "filter.d"))) return;
  const workDir = join(cacheRoot, "reference", "fail2ban");
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  log(`downloading the reference fail2ban package into ${workDir}`);
  let downloaded = spawnSync("apt-get", ["download", "fail2ban"], { cwd: workDir, stdio: "inherit" });
  if (downloaded.status !== 0 && process.getuid?.() === 0) {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    downloaded = spawnSync("apt-get", ["download", "fail2ban"], { cwd: workDir, stdio: "inherit" });
  }
  const deb = readdirSync(workDir).find((name) => name.endsWith(".deb"));
  if (!deb) throw new Error("apt-get download fail2ban produced no .deb file");
  execFileSync("dpkg", ["-x", deb, "root"], { cwd: workDir, stdio: "inherit" });
}

aptInstall();
referenceFail2ban();
log(`reference fail2ban at ${fail2banRoot}`);

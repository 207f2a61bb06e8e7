// Installs what the test suite needs on a fresh machine, idempotently:
// - Debian packages (Java for DynamoDB Local, firewall tools, OpenSSH for the host-mode end-to-end test);
// - the reference fail2ban package, downloaded and unpacked into a cache folder outside the repository: the one of
//   this system's Debian release (1.0.2 on bookworm), and fail2ban 1.1 from the trixie suite of the same mirror,
//   through a private apt configuration that leaves the system's sources alone.
// Nothing here is committed; every step is skipped when its result is already present.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const cacheRoot =
  process.env.CLOUDJAIL_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cloudjail");
export const fail2banRoot = join(cacheRoot, "reference", "fail2ban", "root");
export const fail2ban11Root = join(cacheRoot, "reference", "fail2ban-1.1", "root");
/** The Debian suite that ships fail2ban 1.1 (Debian 13). */
const FAIL2BAN_11_SUITE = "trixie";
const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

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

/** The Debian mirror this system's apt uses (the first non-security `debian` source), or deb.debian.org. */
function debianMirror() {
  const files = [];
  for (const dir of ["/etc/apt/sources.list.d"]) {
    if (existsSync(dir)) for (const name of readdirSync(dir)) files.push(join(dir, name));
  }
  files.push("/etc/apt/sources.list");
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const uris = [...text.matchAll(/^URIs:\s*(\S+)/gim), ...text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s/gm)].map(
      (m) => m[1],
    );
    const mirror = uris.find((uri) => /^https?:\/\/.+\/debian\/?$/.test(uri));
    if (mirror) return mirror.replace(/\/$/, "");
  }
  return "http://deb.debian.org/debian";
}

/**
 * fail2ban 1.1 from Debian's trixie suite: apt reads a sources list, index and cache of its own under the cache
 * folder (signatures checked against Debian's archive keyring), downloads the package and nothing else, and the
 * package is unpacked beside the 1.0.2 reference. The system's apt state is not touched.
 */
function referenceFail2ban11() {
  if (existsSync(join(fail2ban11Root, "etc", "fail2ban", "filter.d"))) return;
  const workDir = join(cacheRoot, "reference", "fail2ban-1.1");
  rmSync(workDir, { recursive: true, force: true });
  const apt = join(workDir, "apt");
  for (const dir of ["lists/partial", "cache/archives/partial", "download"])
    mkdirSync(join(apt, dir), { recursive: true });
  const sources = join(apt, "sources.list");
  const mirror = debianMirror();
  writeFileSync(sources, `deb [signed-by=${DEBIAN_KEYRING}] ${mirror} ${FAIL2BAN_11_SUITE} main\n`);
  const options = [
    "-q",
    "-o",
    `Dir::Etc::SourceList=${sources}`,
    "-o",
    "Dir::Etc::SourceParts=/dev/null",
    "-o",
    `Dir::State::Lists=${join(apt, "lists")}`,
    "-o",
    `Dir::Cache=${join(apt, "cache")}`,
    // the private lists need no lock on the system's apt state, and no sandbox user that could not write here
    "-o",
    "Debug::NoLocking=true",
    "-o",
    "APT::Sandbox::User=root",
  ];
  log(`downloading fail2ban from ${mirror} ${FAIL2BAN_11_SUITE} into ${workDir}`);
  execFileSync("apt-get", [...options, "update"], { stdio: ["ignore", "ignore", "inherit"] });
  execFileSync("apt-get", [...options, "download", "fail2ban"], { cwd: join(apt, "download"), stdio: "inherit" });
  const deb = readdirSync(join(apt, "download")).find((name) => name.endsWith(".deb"));
  if (!deb) throw new Error(`apt-get download fail2ban (${FAIL2BAN_11_SUITE}) produced no .deb file`);
  const version = execFileSync("dpkg-deb", ["-f", join(apt, "download", deb), "Version"], { encoding: "utf8" }).trim();
  if (!version.startsWith("1.1.")) {
    throw new Error(`fail2ban in ${FAIL2BAN_11_SUITE} is ${version}, not 1.1: the 1.1 reference cannot be prepared`);
  }
  execFileSync("dpkg", ["-x", join(apt, "download", deb), "root"], { cwd: workDir, stdio: "inherit" });
  // the suite's package index (about 10 MB) is of no further use
  rmSync(join(apt, "lists"), { recursive: true, force: true });
  rmSync(join(apt, "cache"), { recursive: true, force: true });
}

aptInstall();
referenceFail2ban();
log(`reference fail2ban at ${fail2banRoot}`);
referenceFail2ban11();
log(`reference fail2ban 1.1 at ${fail2ban11Root}`);

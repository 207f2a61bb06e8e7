import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../shared/errors.js";
import type { JailConfig } from "../../shared/jail/jail-config.js";
import { loadJails } from "../../shared/jail/jail-config-reader.js";
import { jailPolicy } from "../../shared/jail/jail-policy.js";
import { fail2banConfig, fail2banPython, requireFail2ban } from "../support/reference.js";

interface ReferenceJail {
  ok: boolean;
  options: Record<string, string | number | boolean>;
  enabledRaw: string;
  seconds: { findtime?: number; bantime?: number };
  port: string | null;
  protocol: string | null;
  filter?: [string, Record<string, string>];
  actions: [string, Record<string, string>][];
}

const script = join(dirname(fileURLToPath(import.meta.url)), "reference", "fail2ban-jails-reference.py");

/** fail2ban's own JailReader over `dir`, every jail forced enabled. */
function referenceJails(dir: string): Record<string, ReferenceJail> {
  requireFail2ban();
  const result = spawnSync("python3", [script, dir], {
    encoding: "utf8",
    env: { ...process.env, PYTHONPATH: dirname(fail2banPython) },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`reference JailReader failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, ReferenceJail>;
}

/** What fail2ban resolved, in our model's terms, for a side-by-side comparison. */
function expectedFromReference(name: string, ref: ReferenceJail) {
  const o = ref.options;
  return {
    name,
    enabled: ["1", "yes", "true", "on"].includes(ref.enabledRaw.toLowerCase()),
    maxretry: o.maxretry,
    maxmatches: o.maxmatches,
    findtime: ref.seconds.findtime,
    bantime: ref.seconds.bantime,
    backend: o.backend,
    usedns: o.usedns,
    logpath: String(o.logpath ?? "")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== ""),
    filter: ref.filter ? { name: ref.filter[0], options: ref.filter[1] } : undefined,
    actions: ref.actions.map(([actionName, options]) => ({ name: actionName, options })),
    port: ref.port,
    protocol: ref.protocol,
  };
}

function ours(jail: JailConfig) {
  return {
    name: jail.name,
    enabled: jail.enabled,
    maxretry: jail.maxretry,
    maxmatches: jail.maxmatches,
    findtime: jail.findtime,
    bantime: jail.bantime,
    backend: jail.backend,
    usedns: jail.usedns,
    logpath: jail.logpath.map((path) => (path.position === "tail" ? `${path.pattern} tail` : path.pattern)),
    filter: jail.filter,
    actions: jail.actions,
    port: jail.port,
    protocol: jail.protocol,
  };
}

describe("jail configuration", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "cloudjail-jails-"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("reads fail2ban's own jail.conf tree unmodified, every jail as fail2ban's JailReader does", () => {
    const reference = referenceJails(fail2banConfig);
    const jails = loadJails(fail2banConfig, { includeDisabled: true });
    expect(jails.map((jail) => jail.name)).toEqual(Object.keys(reference));
    expect(jails.length).toBeGreaterThan(80);
    for (const jail of jails) {
      const ref = reference[jail.name]!;
      expect(ref.ok, jail.name).toBe(true);
      expect(ours(jail), jail.name).toEqual(expectedFromReference(jail.name, ref));
    }
    // Debian's jail.d enables sshd only.
    expect(loadJails(fail2banConfig).map((jail) => jail.name)).toEqual(["sshd"]);
  });

  it("reads jail.local and jail.d overrides, every option users rely on, like fail2ban", () => {
    const dir = join(work, "custom");
    cpSync(fail2banConfig, dir, { recursive: true });
    writeFileSync(
      join(dir, "jail.local"),
      [
        "[DEFAULT]",
        "ignoreip = 127.0.0.1/8 ::1 192.168.0.0/255.255.0.0, 2001:db8::/32",
        "           gw.example.org",
        "bantime.increment = true",
        "bantime.factor = 2",
        "bantime.maxtime = 5w",
        "bantime.rndtime = 30m",
        "bantime.overalljails = yes",
        "",
        "[sshd]",
        "enabled = true",
        "mode = aggressive",
        "maxretry = 3",
        "findtime = 1h30m",
        "bantime = 1w",
        "logpath = /var/log/auth.log tail",
        "          /var/log/secure*",
        "loggroup = /aws/ec2/auth  /aws/ec2/secure",
        "action = %(action_)s",
        '         sendmail-whois[name=%(__name__)s, dest="ops@example.org", sender=f2b@example.org]',
        "",
        "[recidive]",
        "enabled = on",
        "bantime = -1",
        "bantime.multipliers = 1 5 30 60",
        "ignoreself = false",
        "usedns = no",
        "",
      ].join("\n"),
    );
    mkdirSync(join(dir, "jail.d"), { recursive: true });
    writeFileSync(join(dir, "jail.d", "nginx.local"), "[nginx-http-auth]\nenabled = yes\nport = 8080,8443\n");

    const reference = referenceJails(dir);
    const jails = loadJails(dir);
    expect(jails.map((jail) => jail.name).sort()).toEqual(["nginx-http-auth", "recidive", "sshd"]);
    for (const jail of jails)
      expect(ours(jail), jail.name).toEqual(expectedFromReference(jail.name, reference[jail.name]!));

    const sshd = jails.find((jail) => jail.name === "sshd")!;
    expect(sshd).toMatchObject({
      filter: { name: "sshd", options: { mode: "aggressive" } },
      maxretry: 3,
      maxmatches: 3,
      findtime: 5400,
      bantime: 604_800,
      logpath: [
        { pattern: "/var/log/auth.log", position: "tail" },
        { pattern: "/var/log/secure*", position: "head" },
      ],
      loggroup: ["/aws/ec2/auth", "/aws/ec2/secure"],
      ignoreself: true,
    });
    expect(sshd.actions.map((action) => action.name)).toEqual(["iptables-multiport", "sendmail-whois"]);
    expect(sshd.actions[1]?.options).toEqual({ name: "sshd", dest: "ops@example.org", sender: "f2b@example.org" });
    expect(sshd.ignoreip.names).toEqual(["gw.example.org"]);
    expect(sshd.ignoreip.networks).toHaveLength(4);
    expect(sshd.bantimeIncrement).toMatchObject({
      enabled: true,
      factor: 2,
      maxTime: 3_024_000,
      rndTime: 1800,
      overallJails: true,
    });

    const recidive = jails.find((jail) => jail.name === "recidive")!;
    expect(recidive).toMatchObject({ bantime: -1, ignoreself: false, usedns: "no" });
    expect(recidive.bantimeIncrement.multipliers).toEqual([1, 5, 30, 60]);
    expect(jails.find((jail) => jail.name === "nginx-http-auth")?.port).toBe("8080,8443");

    const policy = jailPolicy(sshd, {
      selfAddresses: ["198.51.100.1"],
      resolvedNames: new Map([["gw.example.org", ["203.0.113.7"]]]),
    });
    expect(policy).toMatchObject({ name: "sshd", maxRetry: 3, findTime: 5400, banTime: 604_800, maxMatches: 3 });
    expect(
      ["127.0.0.2", "192.168.9.9", "2001:db8::5", "203.0.113.7", "198.51.100.1"].map((ip) =>
        policy.ignore.contains(ip),
      ),
    ).toEqual([true, true, true, true, true]);
    expect(jailPolicy(recidive, { selfAddresses: ["198.51.100.1"] }).ignore.contains("198.51.100.1")).toBe(false);
  });

  const bad: [string, string, RegExp][] = [
    ["maxretry = five", "maxretry", /expected a whole number/],
    ["findtime = 10 fortnights", "findtime", /unknown time unit "fortnights"/],
    ["bantime = 1h;", "bantime", /unexpected ';'/],
    ["findtime = -1", "findtime", /longer than zero/],
    ["enabled = maybe", "enabled", /expected true or false/],
    ["ignoreip = 10.0.0.0/33", "ignoreip", /invalid prefix length/],
    ["bantime.formula = ban.Time * os.system(1)", "bantime.formula", /unknown function 'os.system'/],
    ["bantime.factor = 2 +", "bantime.factor", /operand missing/],
    ["bantime.multipliers = 1 2 x", "bantime.multipliers", /not a whole number/],
    ["usedns = sometimes", "usedns", /usedns must be/],
    ['action = iptables[name="a" x]', "action", /unexpected ' x' after argument 'name'/],
  ];

  it.each(bad)("names file, line and option for %j", (line, option, reason) => {
    const dir = mkdtempSync(join(work, "bad-"));
    writeFileSync(join(dir, "jail.conf"), "[DEFAULT]\nmaxretry = 5\n\n[web]\nenabled = true\n");
    writeFileSync(join(dir, "jail.local"), `# local settings\n[web]\n${line}\n`);
    let error: unknown;
    try {
      loadJails(dir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.where).toMatchObject({ file: join(dir, "jail.local"), line: 3, section: "web", option });
    expect(configError.message).toMatch(reason);
    expect(configError.message.startsWith(`${join(dir, "jail.local")}:3 [web] ${option}`)).toBe(true);
  });

  it("rejects a jail name that is not configured", () => {
    expect(() => loadJails(fail2banConfig, { names: ["nope"] })).toThrow(/no jail \[nope\]/);
  });
});

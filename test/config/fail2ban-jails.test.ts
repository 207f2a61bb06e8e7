// fail2ban's own jail.conf tree (jail.conf, jail.d/*, the paths-*.conf includes) read by our generic loader must give
// the values fail2ban's JailReader resolves for every jail: log paths, actions (with their %(...)s chains), times.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/config-loader.js";
import { parseOptionSpecList } from "../../shared/config/option-spec.js";
import { fail2banConfig, fail2banPython, requireFail2ban } from "../support/reference.js";
import { type ReferenceJail, runFail2banReader } from "./reference/run-fail2ban-reader.js";

const OPTIONS = [
  "backend",
  "filter",
  "logpath",
  "action",
  "bantime",
  "findtime",
  "maxretry",
  "ignoreip",
  "logencoding",
];

describe("fail2ban's jail.conf tree resolved like fail2ban's JailReader", () => {
  requireFail2ban();
  const config = loadConfig(fail2banConfig, "jail");
  // JailReader adds these before reading any jail.
  const version = /^version = "([^"]+)"/m.exec(readFileSync(join(fail2banPython, "version.py"), "utf8"))![1]!;
  config.mergeDefaults({ fail2ban_version: version, fail2ban_confpath: fail2banConfig });
  const jails = config.sections().filter((name) => name !== "INCLUDES");
  let reference: ReferenceJail[] = [];

  beforeAll(() => {
    reference = runFail2banReader({
      configDir: fail2banConfig,
      jails: jails.map((name) => ({ name, options: OPTIONS })),
    }).jails;
  });

  it("reads the Debian layout: paths-debian.conf before jail.conf, jail.d after", () => {
    expect(config.files.map((file) => file.slice(fail2banConfig.length + 1))).toEqual(
      expect.arrayContaining(["paths-common.conf", "paths-debian.conf", "jail.conf", "jail.d/defaults-debian.conf"]),
    );
    expect(config.files.indexOf(join(fail2banConfig, "paths-debian.conf"))).toBeLessThan(
      config.files.indexOf(join(fail2banConfig, "jail.conf")),
    );
    expect(config.get("sshd", "logpath")).toBe("/var/log/auth.log");
    expect(config.get("sshd", "enabled")).toBe("true");
    expect(jails.length).toBeGreaterThan(50);
  });

  it.each(jails.map((name, index) => [name, index] as const))("[%s]", (name, index) => {
    const expected = reference[index]!;
    expect(expected.error, "fail2ban reads every stock jail").toBeUndefined();
    for (const option of OPTIONS) {
      const theirs = expected.options![option];
      const ours = config.get(name, option);
      expect(ours ?? null, `${option}`).toBe(theirs === null || theirs === undefined ? null : String(theirs));
    }
    // Every action line parses with the same syntax fail2ban's JailReader accepts.
    expect(() => parseOptionSpecList(config.get(name, "action") ?? "")).not.toThrow();
  });
});

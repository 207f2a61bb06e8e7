// The bundled jail.conf: one jail per bundled filter (plus postfix-sasl), every one disabled, sane defaults, and every
// jail's filter reference (with its mode) loadable from the bundled filter.d. Read with cloudjail's own jail reader.
import { describe, expect, it } from "vitest";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { loadJails } from "../../shared/jail/jail-config-reader.js";
import { bundledConfig, bundledFilterNames } from "./bundled-filters.js";

const jails = loadJails(bundledConfig, { includeDisabled: true });
const byName = new Map(jails.map((jail) => [jail.name, jail]));

describe("bundled jail.conf", () => {
  it("defines a jail for every bundled filter", () => {
    expect(bundledFilterNames().filter((name) => !byName.has(name))).toEqual([]);
  });

  it("enables no jail", () => {
    expect(jails.filter((jail) => jail.enabled).map((jail) => jail.name)).toEqual([]);
    expect(loadJails(bundledConfig)).toEqual([]);
  });

  it("uses the documented defaults", () => {
    const sshd = byName.get("sshd");
    expect(sshd?.bantime).toBe(600);
    expect(sshd?.findtime).toBe(600);
    expect(sshd?.maxretry).toBe(5);
    expect(sshd?.backend).toBe("auto");
    expect(sshd?.actions.map((a) => a.name)).toEqual(["nftables"]);
    expect(sshd?.options.ignoreip?.split(/\s+/)).toEqual(["127.0.0.1/8", "::1"]);
  });

  it.each(jails.map((jail) => [jail.name, jail] as const))("%s: filter loads, and logs are named", (_name, jail) => {
    expect(jail.filter).toBeDefined();
    const definition = loadFilterDefinition(bundledConfig, jail.filter!);
    expect(definition.failregex.length).toBeGreaterThan(0);
    if (jail.backend.startsWith("systemd")) expect(definition.journalmatch?.length ?? 0).toBeGreaterThan(0);
    expect(jail.logpath.length + jail.loggroup.length).toBeGreaterThan(0);
  });

  it("reads AWS sources from log groups only", () => {
    for (const name of ["aws-alb", "aws-cloudfront", "aws-apigateway", "aws-vpc-flow"]) {
      expect(byName.get(name)?.loggroup.length, name).toBeGreaterThan(0);
      expect(byName.get(name)?.logpath, name).toEqual([]);
    }
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadCloudJails } from "../../../cloud/deployment/cloud-jail-file.js";
import { jailPolicyOf, jailsByLogGroup } from "../../../cloud/deployment/deployment-config.js";
import { compileDeployedFilter } from "../../../cloud/deployment/filter-check.js";
import { SecurityGroupTargetError } from "../../../cloud/targets/target-spec.js";
import { ConfigError } from "../../../shared/errors.js";

const bundledConfig = fileURLToPath(new URL("../../../config/", import.meta.url));
const exampleJails = fileURLToPath(new URL("../../../cdk/example/jail.local", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cloudjail-jails-"));

function jailFile(text: string): string {
  const file = join(dir, `jail-${Math.random().toString(36).slice(2)}.local`);
  writeFileSync(file, text);
  return file;
}

const load = (text: string) => loadCloudJails({ jailFile: jailFile(text), filterConfigDir: bundledConfig });

describe("loadCloudJails", () => {
  it("reads the example configuration with the bundled filters", () => {
    const config = loadCloudJails({ jailFile: exampleJails, filterConfigDir: bundledConfig });
    expect(config.jails.map((jail) => jail.name)).toEqual(["sshd", "nginx-http-auth"]);
    const sshd = config.jails[0]!;
    expect(sshd).toMatchObject({
      logGroups: ["/ec2/auth.log"],
      maxRetry: 3,
      findTime: 600,
      banTime: 3600,
      maxMatches: 3,
      filterPattern: "sshd",
      increment: { enabled: true, maxTime: 604800 },
    });
    expect(sshd.filter.failregex.length).toBeGreaterThan(3);
    expect(sshd.filter.source).toMatch(/^sshd \(.*filter\.d\/sshd\.conf\)$/);
    expect(jailPolicyOf(sshd).ignore.contains("10.1.2.3")).toBe(true);
    expect([...jailsByLogGroup(config).keys()]).toEqual(["/ec2/auth.log", "/ec2/nginx/error.log"]);
  });

  it("applies fail2ban's defaults and skips disabled jails", () => {
    const config = load("[sshd]\nenabled = true\nloggroup = /a /b,/a\n\n[off]\nloggroup = /c\n");
    expect(config.jails).toHaveLength(1);
    expect(config.jails[0]).toMatchObject({ logGroups: ["/a", "/b"], maxRetry: 5, findTime: 600, banTime: 600 });
  });

  it("passes filter arguments and jail overrides to the filter", () => {
    const config = load("[ssh-aggr]\nenabled = true\nfilter = sshd[mode=aggressive]\nloggroup = /a\n");
    const normal = load("[sshd]\nenabled = true\nloggroup = /a\n");
    expect(config.jails[0]!.filter.failregex.length).toBeGreaterThan(normal.jails[0]!.filter.failregex.length);
  });

  it.each([
    [
      "[sshd]\nenabled = true\nlogpath = /var/log/auth.log\n",
      /:3 \[sshd\] logpath: cloud mode reads CloudWatch Logs: write `loggroup = <log group name>`/,
    ],
    ["[sshd]\nenabled = true\n", /\[sshd\] loggroup: missing `loggroup =`/],
    [
      "[sshd]\nenabled = true\nloggroup = /a\nbantime = 1 fortnight\n",
      /:4 \[sshd\] bantime: invalid time "1 fortnight"/,
    ],
    [
      "[sshd]\nenabled = true\nloggroup = /a\nmaxretry = three\n",
      /:4 \[sshd\] maxretry: expected a whole number of at least 1, found 'three'/,
    ],
    ["[sshd]\nenabled = maybe\nloggroup = /a\n", /:2 \[sshd\] enabled: expected true or false/],
    ["[sshd]\nenabled = true\nloggroup = /a\nignoreip = 10.0.0.0/99\n", /:4 \[sshd\] ignoreip: /],
    [
      "[sshd]\nenabled = true\nloggroup = bad group!\n",
      /:3 \[sshd\] loggroup: "group!" is not a CloudWatch Logs log group name/,
    ],
    ["[web]\nenabled = true\nfilter = no-such-filter\nloggroup = /a\n", /no-such-filter/],
    ["[sshd]\nenabled = true\nloggroup = /a\nbantime.formula = ban.Time *\n", /\[sshd\] bantime.formula: /],
    ["[off]\nenabled = false\nloggroup = /a\n", /no jail is enabled/],
  ])("refuses %j with where and why", (text, message) => {
    expect(() => load(text)).toThrow(ConfigError);
    expect(() => load(text)).toThrow(message);
  });

  it("derives the subscription filter pattern from the filter's program name with filterpattern = auto", () => {
    expect(load("[sshd]\nenabled = true\nloggroup = /a\nfilterpattern = auto\n").jails[0]!.filterPattern).toBe("sshd");
    const filterDir = mkdtempSync(join(tmpdir(), "cloudjail-filters-"));
    mkdirSync(join(filterDir, "filter.d"));
    writeFileSync(join(filterDir, "filter.d", "plain.conf"), "[Definition]\nfailregex = ^x from <HOST>$\n");
    expect(() =>
      loadCloudJails({
        jailFile: jailFile("[web]\nenabled = true\nfilter = plain\nloggroup = /a\nfilterpattern = auto\n"),
        filterConfigDir: filterDir,
      }),
    ).toThrow(
      /:5 \[web\] filterpattern: filterpattern = auto needs a filter whose _daemon is one program name \(this one has none\)/,
    );
  });

  it("refuses a security group as ban action, saying what to use", () => {
    const text = "[sshd]\nenabled = true\nloggroup = /a\nbanaction = sg-0123456789abcdef0\n";
    expect(() => load(text)).toThrow(SecurityGroupTargetError);
    expect(() => load(text)).toThrow(
      /:4 \[sshd\] banaction: "sg-0123456789abcdef0": security groups cannot deny.*acl-/,
    );
  });

  it("hands every filter to the regex check with the regex locations", () => {
    const seen: string[] = [];
    loadCloudJails({
      jailFile: jailFile("[sshd]\nenabled = true\nloggroup = /a\n"),
      filterConfigDir: bundledConfig,
      checkFilter: (filter, locations) => {
        seen.push(filter.source);
        expect(locations.length).toBe(filter.failregex.length + filter.ignoreregex.length);
        expect(locations[0]!.file).toMatch(/sshd\.conf$/);
      },
    });
    expect(seen).toHaveLength(1);
  });
});

describe("compileDeployedFilter at synth", () => {
  it("accepts every bundled filter used by the example", () => {
    expect(() =>
      loadCloudJails({ jailFile: exampleJails, filterConfigDir: bundledConfig, checkFilter: compileDeployedFilter }),
    ).not.toThrow();
  });

  it("fails with the file, line and reason of a bad regex", () => {
    const filterDir = mkdtempSync(join(tmpdir(), "cloudjail-filters-"));
    mkdirSync(join(filterDir, "filter.d"));
    writeFileSync(
      join(filterDir, "filter.d", "broken.conf"),
      "[Definition]\nfailregex = ^ok from <HOST>$\n            ^bad (unclosed <HOST>\n",
    );
    const attempt = () =>
      loadCloudJails({
        jailFile: jailFile("[web]\nenabled = true\nfilter = broken\nloggroup = /a\n"),
        filterConfigDir: filterDir,
        checkFilter: compileDeployedFilter,
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/broken\.conf:3 \[web\] filter: filter broken .*Unable to compile regular expression/);
  });

  it("fails when a failregex has no address group", () => {
    const filterDir = mkdtempSync(join(tmpdir(), "cloudjail-filters-"));
    mkdirSync(join(filterDir, "filter.d"));
    writeFileSync(join(filterDir, "filter.d", "noid.conf"), "[Definition]\nfailregex = ^login failed$\n");
    expect(() =>
      loadCloudJails({
        jailFile: jailFile("[web]\nenabled = true\nfilter = noid\nloggroup = /a\n"),
        filterConfigDir: filterDir,
        checkFilter: compileDeployedFilter,
      }),
    ).toThrow(/noid\.conf:2 \[web\] filter: .*No failure-id group/);
  });
});

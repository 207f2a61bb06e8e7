// Which configuration tree `server` and `client` read, and the logger names the daemon writes for a recidive jail.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chooseConfigTree, describeConfigTree } from "../../cli/config-tree.js";
import type { DaemonLog } from "../../host/daemon/daemon-log.js";
import { loggerPrefixFor, withLoggerPrefix } from "../../host/daemon/logger-names.js";
import { ConfigError } from "../../shared/errors.js";
import { VERSION } from "../../shared/version.js";
import { repoRoot } from "../host/support/repo-root.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-tree-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("chooseConfigTree", () => {
  const system = join(work, "etc-cloudjail");
  const missing = join(work, "absent");
  mkdirSync(system);
  it.each([
    ["--config wins", "/srv/cj", system, { dir: "/srv/cj", source: "option" }],
    ["the installed tree when it exists", undefined, system, { dir: system, source: "system" }],
    ["the bundled tree otherwise", undefined, missing, { dir: "/pkg/config", source: "bundled" }],
  ] as const)("%s", (_, given, systemDir, tree) => {
    expect(chooseConfigTree(given, "/pkg/config", systemDir)).toEqual(tree);
  });

  it("says why it reads the bundled tree and what to do", () => {
    expect(describeConfigTree({ dir: "/pkg/config", source: "bundled" })).toMatch(
      /bundled examples, every jail disabled: \/etc\/cloudjail does not exist; give --config DIR/,
    );
  });
});

describe("loggerPrefixFor", () => {
  function tree(name: string, files: Record<string, string>): string {
    const dir = join(work, name);
    mkdirSync(join(dir, "filter.d"), { recursive: true });
    for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
    return dir;
  }

  it.each([
    ["a cloudjail tree", { "filter.d/cloudjail-common.conf": "" }, "cloudjail"],
    ["a fail2ban tree", { "filter.d/common.conf": "" }, "fail2ban"],
    [
      "an explicit choice",
      { "filter.d/common.conf": "", "fail2ban.local": "[Definition]\nlognames = cloudjail\n" },
      "cloudjail",
    ],
    [
      "an explicit choice on ours",
      { "filter.d/cloudjail-common.conf": "", "fail2ban.conf": "[Definition]\nlognames = fail2ban\n" },
      "fail2ban",
    ],
  ] as const)("%s", (name, files, prefix) => {
    expect(loggerPrefixFor(tree(name.replace(/ /g, "-"), files))).toBe(prefix);
  });

  it("refuses another value, naming file and option", () => {
    const dir = tree("bad", { "fail2ban.local": "[Definition]\nlognames = f2b\n" });
    expect(() => loggerPrefixFor(dir)).toThrow(ConfigError);
    expect(() => loggerPrefixFor(dir)).toThrow(/lognames must be cloudjail or fail2ban, not 'f2b'/);
  });

  it("renames cloudjail.* loggers and shares the level", () => {
    const lines: string[] = [];
    const inner: DaemonLog = {
      level: "INFO",
      log: (level, logger, message) => lines.push(`${logger} ${level} ${message}`),
      close: () => {},
    };
    const log = withLoggerPrefix(inner, "fail2ban");
    log.log("NOTICE", "cloudjail.actions", "[sshd] Ban 192.0.2.1");
    log.level = "DEBUG";
    expect(lines).toEqual(["fail2ban.actions NOTICE [sshd] Ban 192.0.2.1"]);
    expect(inner.level).toBe("DEBUG");
  });
});

describe("VERSION", () => {
  it("is package.json's", () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(join(repoRoot(), "package.json"), "utf8")).version);
  });
});

// The systemd unit: systemd itself accepts it (systemd-analyze verify), it runs the configuration check before the
// daemon on the same tree, and lets the daemon send its degraded status (NotifyAccess=all, for systemd-notify).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/repo-root.js";

const unitPath = join(repoRoot(), "systemd", "cloudjail.service");
const unit = readFileSync(unitPath, "utf8");

/** Every value of `key=` in the unit, in order. */
function values(key: string): string[] {
  return unit
    .split("\n")
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

describe("systemd/cloudjail.service", () => {
  it("is accepted by systemd-analyze verify", () => {
    const result = spawnSync("systemd-analyze", ["verify", unitPath], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("cloudjail.service:");
  });

  it("checks the configuration it starts with, and lets the daemon report its status", () => {
    const start = values("ExecStart")[0]!;
    const config = / --config (\S+)/.exec(start)?.[1];
    expect(config).toBe("/etc/cloudjail");
    expect(values("ExecStartPre")).toEqual([`-/usr/bin/env cloudjail server --test --config ${config}`]);
    expect(values("NotifyAccess")).toEqual(["all"]);
  });
});

// The log-injection samples through the `cloudjail regex` command as a user runs it (bundled configuration, JSON
// output): every filter reports failures for its samples, and never a forged address (198.51.100.0/24).
// Needs the built command (`npm run build`, which `npm test` runs first).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bundledFilterNames } from "./bundled-filters.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const injectionDir = fileURLToPath(new URL("./injection", import.meta.url));

interface RegexOutput {
  line: number;
  ip?: string;
  fid?: string;
}

function runRegex(log: string, filter: string): RegexOutput[] {
  const run = spawnSync("node", ["bin/cloudjail.js", "regex", "--out", "json", log, filter], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`cloudjail regex ${filter} failed (${run.status}): ${run.stderr}`);
  return run.stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as RegexOutput);
}

describe("cloudjail regex on the log-injection samples", () => {
  it("has the built command", () => {
    expect(existsSync(`${root}/dist/cli.js`), "run `npm run build` first").toBe(true);
  });

  it.each(bundledFilterNames())("%s", (name) => {
    const found = runRegex(`${injectionDir}/${name}.log`, name);
    expect(found.length).toBeGreaterThan(0);
    const forged = found.filter((f) => [f.ip, f.fid].some((v) => v?.startsWith("198.51.100.")));
    expect(forged).toEqual([]);
  });
});

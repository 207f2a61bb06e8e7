// The end of `cloudjail regex`'s summary (line counts, then the matched, ignored and missed lines) is fail2ban-regex's,
// character for character, with the same --print-all-* / --print-no-* options: both commands run here, on the same
// logs, with fail2ban's own sshd filter. Needs the built command and the reference package (`npm test` prepares both).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeAuthLog } from "../../bench/auth-log.js";
import { fail2banConfig, fail2banPython, fail2banRoot, requireFail2ban } from "../support/reference.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cloudjail-regex-summary-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logs: Record<string, string> = {};

beforeAll(() => {
  requireFail2ban();
  const generated = join(dir, "generated.log");
  writeAuthLog(generated, 400, Math.floor(Date.now() / 1000) - 3 * 3600);
  const lines = readFileSync(generated, "utf8").trimEnd().split("\n");
  // 40 lines: fewer than 20 of some kinds, more of others; 400 lines: too many of each
  for (const count of [40, 400]) {
    logs[count] = join(dir, `auth-${count}.log`);
    writeFileSync(logs[count]!, `${lines.slice(0, count).join("\n")}\n`);
  }
});

/** The summary from its `Lines:` line on, without the time taken. */
function tail(output: string): string {
  const from = output.indexOf("\nLines:");
  return output
    .slice(from + 1)
    .replace(/^\[processed in [\d.]+ sec\]\n/m, "")
    .trimEnd();
}

function ours(log: string, options: readonly string[]): string {
  const run = spawnSync("node", [join(root, "bin", "cloudjail.js"), "regex", ...options, log, "sshd"], {
    encoding: "utf8",
  });
  expect(run.status, run.stderr).toBe(0);
  return tail(run.stdout);
}

function theirs(log: string, options: readonly string[]): string {
  const run = spawnSync(
    "python3",
    [
      join(fail2banRoot, "usr", "bin", "fail2ban-regex"),
      ...options,
      log,
      join(fail2banConfig, "filter.d", "sshd.conf"),
    ],
    { encoding: "utf8", env: { ...process.env, PYTHONPATH: join(fail2banPython, "..") } },
  );
  expect(run.status, run.stderr).toBe(0);
  return tail(run.stdout);
}

describe("cloudjail regex summary against fail2ban-regex", () => {
  it.each([
    [40, []],
    [400, []],
    [40, ["--print-all-matched"]],
    [400, ["--print-all-matched", "--print-all-ignored", "--print-all-missed"]],
    [400, ["--print-no-ignored", "--print-all-missed"]],
    [40, ["--print-no-missed", "--print-no-ignored"]],
  ])("%i lines, options %j: the same counts and lines", (count, options) => {
    const log = logs[count]!;
    const expected = theirs(log, options);
    expect(expected).toMatch(/^Lines: \d+ lines, \d+ ignored, \d+ matched, \d+ missed/);
    expect(ours(log, ["--config", fail2banConfig, ...options])).toBe(expected);
  });

  it("refuses to print all and none of a kind", () => {
    const run = spawnSync(
      "node",
      [join(root, "bin", "cloudjail.js"), "regex", "--print-all-missed", "--print-no-missed", logs[40]!, "sshd"],
      { encoding: "utf8" },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--print-all-missed and --print-no-missed exclude each other");
  });
});

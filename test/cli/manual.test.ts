// The man page and the bash completion come from the same definitions as --help: every sub-command and option
// that --help shows is in the page and offered by Tab (checked with groff and with bash itself).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS, DEFAULT_PATHS } from "../../cli/command-definitions.js";
import { allUsages } from "../../cli/commands/completion.js";
import { bashCompletion } from "../../cli/manual/bash-completion.js";
import { manPage, roffText } from "../../cli/manual/man-page.js";
import { usageOptions } from "../../cli/manual/usage-options.js";
import { CLIENT_COMMAND_TABLE } from "../../host/control/client-command-table.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-manual-"));
let usages: Record<string, string>;
let script: string;
beforeAll(async () => {
  usages = await allUsages();
  script = join(work, "cloudjail.bash");
  writeFileSync(script, bashCompletion(usages));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("usageOptions", () => {
  it.each([
    ["  -c, --config DIR    tree", ["-c", "--config"]],
    ["  --usedns yes|warn|no|raw", ["--usedns"]],
    [
      "  --print-all-matched, --print-all-ignored, --print-all-missed",
      ["--print-all-matched", "--print-all-ignored", "--print-all-missed"],
    ],
    ["  -s, --socket PATH     control socket", ["-s", "--socket"]],
    ["usage: cloudjail regex [options] --not-an-option", []],
    ["  LOG          a log file -x", []],
  ] as const)("%j", (line, options) => {
    expect(usageOptions(line)).toEqual(options);
  });
});

/** What bash's completion offers for the words typed (the last one being completed). */
function complete(...words: string[]): string[] {
  const array = words.map((word) => `'${word}'`).join(" ");
  const command = `source '${script}'; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _cloudjail; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync("bash", ["--norc", "-c", command], {
    encoding: "utf8",
    cwd: work,
    env: { PATH: "/usr/bin:/bin" },
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split("\n").filter(Boolean).sort();
}

describe("bash completion", () => {
  it.each([
    [
      ["cloudjail", "re"],
      ["regex", "replay"],
    ],
    [["cloudjail", "--v"], ["--version"]],
    [
      ["cloudjail", "regex", "--print-all-m"],
      ["--print-all-matched", "--print-all-missed"],
    ],
    [["cloudjail", "regex", "--ver"], ["--verbose"]],
    [["cloudjail", "server", "--con"], ["--config"]],
    [["cloudjail", "client", "ba"], ["banned"]],
    [
      ["cloudjail", "client", "--socket", "/tmp/s", "sta"],
      ["start", "status"],
    ],
    [["cloudjail", "client", "set", "logl"], ["loglevel"]],
    [
      ["cloudjail", "client", "get", "sshd", "ban"],
      ["banip", "banned", "bantime"],
    ],
    [["cloudjail", "client", "set", "sshd", "delig"], ["delignoreip"]],
    [["cloudjail", "completion", "--"], ["--help"]],
  ] as const)("%j", (words, offered) => {
    expect(complete(...words)).toEqual(offered);
  });

  it("offers every option of every sub-command's --help", () => {
    for (const [name, usage] of Object.entries(usages)) {
      const offered = complete("cloudjail", name, "-");
      for (const option of usageOptions(usage).filter((o) => o.startsWith("-")))
        expect(offered, name).toContain(option);
    }
  });
});

describe("man page", () => {
  it("renders without a groff warning and holds every command, client command and default path", () => {
    const page = manPage(usages);
    const result = spawnSync("groff", ["-man", "-Tutf8", "-ww"], { input: page, encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
    const text = result.stdout
      .replace(/.\x08/g, "")
      .replace(/‐\n\s*/g, "")
      .replace(/\s+/g, " ");
    for (const name of Object.keys(COMMANDS)) expect(text).toContain(`cloudjail ${name}`);
    for (const { usage } of CLIENT_COMMAND_TABLE) expect(text).toContain(usage.replace(/\s+/g, " "));
    for (const [, path] of DEFAULT_PATHS) expect(text).toContain(path.split(" ")[0]);
    expect(text).toContain("returns 255");
  });

  it.each([
    ["a\\b", "a\\eb"],
    [".TH injected", "\\&.TH injected"],
    ["'quote", "\\&'quote"],
  ])("roffText(%j)", (input, output) => {
    expect(roffText(input)).toBe(output);
  });
});

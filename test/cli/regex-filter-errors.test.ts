// What `cloudjail regex` says about a filter it cannot run, and about a line its filter cannot attribute. A broken
// filter is a configuration error: one sentence naming the file (and line, when known), the option and the reason,
// exit status 1, never an "internal error" with a stack (status 70 is kept for cloudjail's own bugs). A failregex whose
// address is optional (fail2ban 1.1's dovecot filter) is valid: a line it matches without an address is told on
// standard error with its number, counted as missed like fail2ban-regex does, and the run goes on (status 0).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "cloudjail-filter-errors-"));
const log = join(dir, "mail.log");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Filter files: name -> the lines of its [Definition] section. */
const filters: Record<string, readonly string[]> = {
  "no-id": ["failregex = ^auth failed$"],
  "bad-syntax": ["failregex = ^auth (failed <HOST>"],
  "bad-date": ["failregex = ^auth <HOST>", "datepattern = %Q-%Y"],
  "interpolation-loop": ["a = %(b)s", "b = %(a)s", "failregex = %(a)s <HOST>"],
  "bad-maxlines": ["failregex = ^auth <HOST>", "maxlines = lots"],
  "variable-lookbehind": ["failregex = ^(?<=a+)auth <HOST>"],
  // fail2ban 1.1.1's dovecot form: the address in the prefregex's head, or in the failregex, both optional
  "optional-address": [
    String.raw`prefregex = ^\s*\S+ mail: (?:\(\S*,<ADDR>\): )?<F-CONTENT>.+</F-CONTENT>$`,
    String.raw`failregex = ^(?:auth\(\S*,<ADDR>\): )?(?:[Uu]nknown user|[Pp]assword mismatch)`,
  ],
};

beforeAll(() => {
  mkdirSync(join(dir, "filter.d"));
  for (const [name, lines] of Object.entries(filters)) {
    writeFileSync(join(dir, "filter.d", `${name}.conf`), ["[Definition]", ...lines, ""].join("\n"));
  }
  writeFileSync(
    join(dir, "jail.local"),
    "[mail]\nenabled = true\nfilter = optional-address\nlogpath = /var/log/mail.log\nmaxretry = 1\nbantime = 1h\n",
  );
  writeFileSync(
    log,
    [
      "2026-12-01 10:00:00 host mail: (imap,192.0.2.30): unknown user",
      "2026-12-01 10:00:01 host mail: auth(bob,192.0.2.31): password mismatch",
      "2026-12-01 10:00:02 host mail: unknown user",
      "2026-12-01 10:00:03 host mail: login ok",
      "",
    ].join("\n"),
  );
});

const file = (name: string) => join(dir, "filter.d", `${name}.conf`);

describe("cloudjail regex and a filter it cannot run", () => {
  it.each([
    ["no-id", `${file("no-id")} failregex[1]: No failure-id group in '^auth failed$'`],
    ["bad-syntax", `${file("bad-syntax")} failregex[1]: Unable to compile regular expression`],
    ["bad-date", `${file("bad-date")}:3 [Definition] datepattern: '%' must be followed by '%' or '('`],
    ["interpolation-loop", `${file("interpolation-loop")}:4 [Definition] failregex: interpolation loop`],
    ["bad-maxlines", `${file("bad-maxlines")}:3 [Definition] maxlines: maxlines must be a whole number`],
    ["variable-lookbehind", `${file("variable-lookbehind")} failregex[1]: Unable to compile regular expression`],
  ])("%s: one sentence naming file, option and reason; status 1", (name, start) => {
    const run = runCli(["regex", "--config", dir, log, name]);
    expect(run.status).toBe(1);
    expect(run.stderr.startsWith(`cloudjail: ${start}`), run.stderr).toBe(true);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(run.stdout).toBe("");
  });
});

describe("cloudjail regex and a mode the filter does not offer", () => {
  // before: "No failure-id group in '<_ex_mode_foo>'" (exim) or no error at all (sshd ran without its mode's lines)
  it.each([
    ["exim[mode=foo]", "filter 'exim' has no mode 'foo' (it offers mode = normal, aggressive, more)"],
    [
      "sshd[mode=agressive]",
      "filter 'sshd' has no mode 'agressive' (it offers mode = normal, ddos, extra, aggressive)",
    ],
    ["sshd[publickey=no]", "filter 'sshd' has no publickey 'no' (it offers publickey = invalid, nofail, any, ignore)"],
    ["guacamole[logging=tomcat]", "filter 'guacamole' has no logging 'tomcat' (it offers logging = catalina, webapp)"],
  ])("%s: names the option, the value and the values offered; status 1", (filter, message) => {
    const run = runCli(["regex", log, filter]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`cloudjail: ${message}\n`);
    expect(run.stdout).toBe("");
  });

  it("a mode set in the filter's own .local is located at its line", () => {
    const tree = join(dir, "mode-tree");
    mkdirSync(join(tree, "filter.d"), { recursive: true });
    writeFileSync(
      join(tree, "filter.d", "modal.conf"),
      "[Definition]\nfailregex = ^auth <HOST>\n            <_m_<mode>>\n_m_normal =\n_m_strict = ^deny <HOST>\nmode = normal\n",
    );
    writeFileSync(join(tree, "filter.d", "modal.local"), "[Init]\nmode = strickt\n");
    const run = runCli(["regex", "--config", tree, log, "modal"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `cloudjail: ${join(tree, "filter.d", "modal.local")}:2 [Init] mode: filter 'modal' has no mode 'strickt' ` +
        "(it offers mode = normal, strict)\n",
    );
    // the values it offers work
    expect(runCli(["regex", "--config", tree, log, "modal[mode=strict]"]).status).toBe(0);
  });
});

describe("cloudjail regex and a line its filter cannot attribute", () => {
  it.each([
    ["the summary", [] as string[]],
    ["--out json", ["--raw", "--out", "json"]],
  ])("%s: counts the addressed lines, tells the other one by its number, status 0", (_name, extra) => {
    const run = runCli(["regex", "--config", dir, ...extra, log, "optional-address"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe(
      `cloudjail regex: line 3: ${file("optional-address")} failregex[1] matched, but neither it nor the prefregex ` +
        "captured an address or failure id: the line is not counted\n",
    );
    if (extra.length === 0) {
      expect(run.stdout).toContain("Lines: 4 lines, 0 ignored, 2 matched, 2 missed");
    } else {
      const found = run.stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as { line: number; ip: string; user?: string });
      expect(found.map((f) => [f.line, f.ip])).toEqual([
        [1, "192.0.2.30"],
        [2, "192.0.2.31"],
      ]);
    }
  });
});

describe("cloudjail replay and a line its jail's filter cannot attribute", () => {
  it("bans the addressed lines and tells the other one by its place, status 0", () => {
    const run = runCli(["replay", "--config", dir, "--jail", "mail", "--out", "json", log]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe(
      `cloudjail replay: ${log}:3: jail mail: a failregex matched, but no address or failure id was captured: ` +
        "the line is not counted\n",
    );
    const decisions = run.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { action: string; ip: string });
    expect(decisions.map((d) => `${d.action} ${d.ip}`)).toEqual(["ban 192.0.2.30", "ban 192.0.2.31"]);
  });
});

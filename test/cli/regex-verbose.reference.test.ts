// `cloudjail regex -v`: each line explained (failregex number and text, groups, date template, why a line was
// missed), and the summary's failregex list with its hits, the same as fail2ban-regex -v prints it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { debuggexUrl } from "../../cli/regex/line-explainer.js";
import { runCli } from "../support/cli.js";
import { fail2banConfig, requireFail2ban } from "../support/reference.js";
import { cloudjailRegex, fail2banRegex } from "../support/regex-commands.js";

requireFail2ban();
const work = mkdtempSync(join(tmpdir(), "cloudjail-regex-v-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function log(name: string, lines: readonly string[]): string {
  const path = join(work, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const sshd = log("auth.log", [
  "Aug 14 11:53:59 web1 sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2",
  "Aug 14 11:54:59 web1 sshd[1]: Accepted password for root from 192.0.2.2 port 22 ssh2",
  "Aug 14 11:55:59 web1 sshd[1]: Failed password for invalid user bob from 192.0.2.3 port 22 ssh2",
  "Aug 14 11:56:00 web1 sshd[1]: Server listening on 0.0.0.0 port 22.",
  "Aug 14 11:56:01 web1 cron[9]: (root) CMD (run-parts /etc/cron.hourly)",
  "no date here at all",
]);
const nginx = log("error.log", [
  '2026/08/14 11:53:59 [error] 12#12: *1 user "admin" was not found in "/etc/nginx/.htpasswd", client: 198.51.100.9, server: x, request: "GET / HTTP/1.1", host: "x"',
  "2026/08/14 11:54:00 [error] 12#12: *2 open() failed (2: No such file), client: 198.51.100.10",
]);

/** The block from `Failregex:` to the blank line after it. */
function failregexBlock(output: string): string {
  const start = output.indexOf("\nFailregex:");
  return output.slice(start, output.indexOf("\n\n", start + 1));
}

describe("cloudjail regex -v", () => {
  it.each([
    ["sshd", sshd, "sshd"],
    ["nginx-http-auth", nginx, "nginx-http-auth"],
  ])("lists every failregex with its hits as fail2ban-regex -v does (%s)", (_, path, filter) => {
    const tz = { tz: "UTC" };
    expect(failregexBlock(cloudjailRegex(["-v", "--now", "2026-12-01T00:00:00Z", path, filter], tz))).toBe(
      failregexBlock(fail2banRegex(["-v", path, filter], tz)),
    );
  });

  it("explains each line: the regex that matched, the groups, the date template, why a line was missed", () => {
    const out = cloudjailRegex(["-v", "--now", "2026-12-01T00:00:00Z", sshd, "sshd"], { tz: "UTC" });
    const explained = out.slice(0, out.indexOf("\nRunning tests"));
    const blocks = explained.split(/\n(?=line \d+:)/);
    expect(blocks).toHaveLength(6);
    expect(blocks[0]).toMatch(/^line 1: matched failregex \d+: \^Failed \S+ /);
    expect(blocks[0]).toContain("\n  id: 192.0.2.1\n");
    expect(blocks[0]).toMatch(/\n {2}groups: .*user="root"/);
    expect(blocks[0]).toContain("\n  date template: {^LN-BEG}(?:DAY )?MON Day %k:Minute:Second");
    expect(blocks[1]).toMatch(/^line 2: no failure \(F-NOFAIL; counted as ignored\), by failregex \d+: .*Accepted/);
    expect(blocks[1]).toContain("counted: no");
    expect(blocks[2]).toMatch(/groups: .*user="bob"/);
    expect(blocks[3]).toMatch(/^line 4: missed: date found, prefregex matched, none of the \d+ failregex matched\n/);
    // sshd's prefregex takes any line (its daemon part is optional): the failregexes were tried
    expect(blocks[4]).toMatch(/^line 5: missed: date found, prefregex matched, none of the \d+ failregex matched\n/);
    expect(blocks[5]).toMatch(/^line 6: missed: no date found, .*\n {2}date: none found\n$/);
    // the summary after it is the usual one
    expect(out).toContain("Lines: 6 lines, 1 ignored, 2 matched, 3 missed");
  });

  it("says which ignoreregex took a line", () => {
    const out = cloudjailRegex(["-v", sshd, "sshd", "for invalid user bob"], { tz: "UTC" });
    expect(out).toMatch(/^line 3: ignored by ignoreregex 1: for invalid user bob\n {2}date template: /m);
  });

  it("--debuggex adds a link with the regex and the line without its date", () => {
    const out = cloudjailRegex(["--debuggex", sshd, "sshd"], { tz: "UTC" });
    const link = out.match(/^line 1: [\s\S]*?\n {2}debuggex: (\S+)\n/m)?.[1];
    expect(link).toBeDefined();
    const url = new URL(link!);
    expect(url.host).toBe("www.debuggex.com");
    expect(url.searchParams.get("flavor")).toBe("python");
    expect(url.searchParams.get("str")).toBe(" web1 sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2");
    expect(url.searchParams.get("re")).toMatch(/^\^Failed .*\(\?:(?!<HOST>)/);
    // a missed line gets one link per failregex, to see in debuggex how far each gets
    const missed = out.slice(out.indexOf("line 4:"), out.indexOf("line 5:"));
    expect(missed.match(/debuggex: /g)?.length).toBeGreaterThan(10);
  });

  it("refuses -v with --out", () => {
    const result = runCli(["regex", "-v", "--out", "json", sshd, "sshd"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/-v\/--debuggex explain lines in the summary; --out prints failures instead/);
  });

  it("debuggexUrl expands <HOST> into a regex debuggex reads", () => {
    const url = new URL(debuggexUrl("x from 1.2.3.4", "from <HOST>$", "yes"));
    expect(url.searchParams.get("re")).not.toContain("<HOST>");
    expect(fail2banConfig).toBeTruthy();
  });
});

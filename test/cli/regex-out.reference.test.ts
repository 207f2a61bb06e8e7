// `cloudjail regex --out FORMAT` prints what fail2ban-regex -o FORMAT prints: the failure id, the address, the matched
// lines, a captured field, or a template of tags. Both commands run here on the same logs with fail2ban's own
// filters: a generated sshd log (sessions, IPv6, user names holding addresses) and the sample logs of multi-line
// filters (failures of several lines). Needs the built command and the reference package (`npm test` prepares both).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeAuthLog } from "../../bench/auth-log.js";
import { fail2banSampleLogs, requireFail2ban } from "../support/reference.js";
import { cloudjailRegex, fail2banRegex } from "../support/regex-commands.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cloudjail-regex-out-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const logs: Record<string, string> = {};

beforeAll(() => {
  requireFail2ban();
  logs.sshd = join(dir, "auth.log");
  writeAuthLog(logs.sshd, 600, Math.floor(Date.now() / 1000) - 3 * 3600);
  for (const name of ["ejabberd-auth", "guacamole", "slapd"]) {
    // fail2ban-regex leaves a last line without its newline unread: compare on the file with the newline
    const text = readFileSync(join(fail2banSampleLogs, name), "utf8");
    logs[name] = join(dir, name);
    writeFileSync(logs[name], text.endsWith("\n") ? text : `${text}\n`);
  }
});

const ours = (log: string, filter: string, out: string) =>
  cloudjailRegex(["--raw", "--out", out, log, filter], { tz: "UTC" });
const theirs = (log: string, filter: string, out: string) =>
  fail2banRegex(["--raw", "-o", out, log, filter], { tz: "UTC" });

describe("cloudjail regex --out against fail2ban-regex -o", () => {
  it.each([
    ["sshd", "id"],
    ["sshd", "ip"],
    ["sshd", "msg"],
    ["sshd", "user"],
    ["sshd", "ip6"],
    ["sshd", "<fid> <time> <family> <ip-rev> <F-USER> <F-MLFID> <failures> <unknown-tag>"],
    ["sshd", "[<matches>] x\\t<F-NONE>"],
    ["ejabberd-auth", "msg"],
    ["guacamole", "<fid> <msg>"],
    ["slapd", "<fid> [<matches>]"],
  ])("%s -o %s", (log, out) => {
    const expected = theirs(logs[log]!, log, out);
    expect(expected.split("\n").length).toBeGreaterThan(2);
    expect(ours(logs[log]!, log, out)).toBe(expected);
  });

  it("--out json: the host as the log wrote it with --raw (as fail2ban-regex -o ip6), canonical without", () => {
    // sendmail's `[IPv6:2001:DB8::1]`, from fail2ban's own corpus
    const text = readFileSync(join(fail2banSampleLogs, "sendmail-reject"), "utf8");
    const line = text.split("\n").find((l) => l.includes("[IPv6:2001:DB8::1]"));
    expect(line).toBeDefined();
    const log = join(dir, "sendmail-ipv6");
    writeFileSync(log, `${line}\n`);
    const filter = "sendmail-reject[mode=extra]";
    const written = theirs(log, filter, "ip6").trim();
    expect(written).toBe("2001:DB8::1");
    const json = (raw: boolean) =>
      JSON.parse(cloudjailRegex([...(raw ? ["--raw"] : []), "--out", "json", log, filter], { tz: "UTC" })) as Record<
        string,
        unknown
      >;
    expect(json(true)).toMatchObject({ ip: "2001:db8::1", fid: "2001:db8::1", host: written });
    expect(json(false)).toMatchObject({ ip: "2001:db8::1", fid: "2001:db8::1", host: "2001:db8::1" });
    // fail2ban-regex's own id and ip forms stay canonical, raw or not
    expect(theirs(log, filter, "id").trim()).toBe("2001:db8::1");
    expect(ours(log, filter, "id").trim()).toBe("2001:db8::1");
  });

  it.each([
    ["row", "'row' prints fail2ban's internal match data as Python writes it; use --out json"],
    ["<ip> <ip-host>", "<ip-host> needs a running jail (or DNS)"],
    ["<ipfailures>", "<ipfailures> needs a running jail"],
  ])("refuses -o %s with the reason", (out, message) => {
    const run = spawnSync("node", [join(root, "bin", "cloudjail.js"), "regex", "--out", out, logs.sshd!, "sshd"], {
      encoding: "utf8",
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

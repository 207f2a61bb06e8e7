import { describe, expect, it } from "vitest";
import { parseRegexArgs } from "../../cli/regex/regex-args.js";

describe("parseRegexArgs", () => {
  it.each([
    [["auth.log", "sshd"], { log: "auth.log", filter: "sshd", raw: false, out: undefined }],
    [
      ["--raw", "--out", "json", "a.log", "sshd[mode=aggressive]"],
      { raw: true, out: { kind: "json" }, filter: "sshd[mode=aggressive]" },
    ],
    [["--now", "2005-08-14T12:00:00+02:00", "a.log", "x"], { now: 1124013600 }],
    [["--maxlines", "5", "a.log", "x", "ignore me"], { maxLines: 5, ignoreRegex: "ignore me" }],
    [["--config", "/etc/fail2ban", "--timezone", "UTC", "a.log", "x"], { configDir: "/etc/fail2ban", timeZone: "UTC" }],
    [["--datepattern", "^%Y-%m-%d", "a.log", "x"], { datePattern: "^%Y-%m-%d" }],
    [["--help"], { help: true }],
    [["a.log", "x"], { verbose: false, debuggex: false }],
    [["-v", "a.log", "x"], { verbose: true, debuggex: false }],
    [["--debuggex", "a.log", "x"], { verbose: true, debuggex: true }],
    [
      ["-c", "/etc/fail2ban", "--TZ", "Europe/Paris", "a.log", "x"],
      { configDir: "/etc/fail2ban", timeZone: "Europe/Paris" },
    ],
    [["--usedns", "no", "--no-check-all", "-e", "UTF-8", "a.log", "x"], { useDns: "no", checkAll: false }],
    [["a.log", "x"], { useDns: undefined, checkAll: true }],
    [
      ["-o", "<fid> <time>", "a", "b"],
      { out: { kind: "template", parts: [{ tag: "fid" }, { text: " " }, { tag: "time" }] } },
    ],
    [["-m", "_COMM=sshd", "systemd-journal[journalpath=/j]", "sshd"], { journalMatch: "_COMM=sshd" }],
    [
      ["--print-all-matched", "--print-all-missed", "--print-no-ignored", "a.log", "x"],
      { printAll: { matched: true, ignored: false, missed: true }, printNo: { ignored: true, missed: false } },
    ],
  ])("%j", (argv, expected) => {
    expect(parseRegexArgs(argv)).toMatchObject(expected);
  });

  it.each([
    [["a.log"], /expected LOG FILTER/],
    [["a", "b", "c", "d"], /expected LOG FILTER/],
    [["--now", "yesterday", "a", "b"], /--now must be an ISO-8601/],
    [["--maxlines", "0", "a", "b"], /--maxlines must be a whole number/],
    [["--maxlines", "x", "a", "b"], /--maxlines must be a whole number/],
    [["--usedns", "maybe", "a", "b"], /--usedns takes yes, warn, no or raw; got 'maybe'/],
    [["-e", "latin-1", "a", "b"], /--encoding 'latin-1': logs are read as UTF-8/],
    [["--out", "row", "a", "b"], /--out row: 'row' prints fail2ban's internal match data/],
    [["--journalmatch", "_COMM=sshd", "a.log", "b"], /--journalmatch goes with LOG systemd-journal/],
    [["--bogus", "a", "b"], /Unknown option '--bogus'/],
    [["--print-all-ignored", "--print-no-ignored", "a", "b"], /--print-all-ignored and --print-no-ignored exclude/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseRegexArgs(argv)).toThrow(message);
  });
});

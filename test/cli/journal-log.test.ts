// LOG = systemd-journal[...] of `cloudjail regex`: fail2ban's backend options turned into journalctl's arguments,
// and what cannot be honoured refused with the reason.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { journalReadArgs, parseJournalLog } from "../../cli/regex/journal-log.js";

const dir = mkdtempSync(join(tmpdir(), "cloudjail-journal-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const name of ["system.journal", "user-1000.journal", "notes.txt"]) writeFileSync(join(dir, name), "");

describe("parseJournalLog", () => {
  it.each([
    ["systemd-journal", []],
    ["systemd-journal[journalpath=/var/log/journal/abc]", ["--directory=/var/log/journal/abc"]],
    ['systemd-journal[journalfiles="/a.journal, /b.journal"]', ["--file=/a.journal", "--file=/b.journal"]],
    [
      `systemd-journal[journalfiles=${dir}/*.journal]`,
      [`--file=${dir}/system.journal`, `--file=${dir}/user-1000.journal`],
    ],
    ["systemd-journal[namespace=web]", ["--namespace=web"]],
    ["systemd-journal[journalflags=1]", []],
    ["systemd-journal[journalflags=4]", ["--system"]],
    ["systemd-journal[journalflags=13]", ["--system", "--user"]],
  ])("%s selects %j", (log, selection) => {
    expect(parseJournalLog(log)).toEqual({ kind: "journal", selection });
  });

  it.each([["/var/log/auth.log"], ["systemd-journal.log"], ["Jan  1 00:00:00 host systemd-journal: x"]])(
    "leaves %s to the other LOG kinds",
    (log) => expect(parseJournalLog(log)).toBeUndefined(),
  );

  it.each([
    ["systemd-journal[journalflags=2]", "journalflags '2': 2 (runtime only) has no journalctl equivalent"],
    ["systemd-journal[journalflags=x]", "journalflags 'x': not a known flag set"],
    ["systemd-journal[journalfiles=/nowhere/*.journal]", "journalfiles '/nowhere/*.journal' names no file"],
    ["systemd-journal[unit=sshd]", "unknown option 'unit' (known: journalpath, journalfiles, journalflags, namespace)"],
    ["systemd-journal[journalpath]", "LOG 'systemd-journal[journalpath]'"],
  ])("refuses %s", (log, message) => {
    expect(() => parseJournalLog(log)).toThrow(message);
  });
});

describe("journalReadArgs", () => {
  it("reads the selection as JSON, restricted by the journalmatch words (never through a shell)", () => {
    const log = parseJournalLog("systemd-journal[journalpath=/j]")!;
    expect(journalReadArgs(log, `_SYSTEMD_UNIT=sshd.service + MESSAGE="a b; rm -rf /"`)).toEqual([
      "--output=json",
      "--no-pager",
      "--quiet",
      "--directory=/j",
      "_SYSTEMD_UNIT=sshd.service",
      "+",
      "MESSAGE=a b; rm -rf /",
    ]);
    expect(journalReadArgs(log, undefined)).toEqual(["--output=json", "--no-pager", "--quiet", "--directory=/j"]);
  });
});

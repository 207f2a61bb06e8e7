// LOG = systemd-journal[...] of `cloudjail regex`: fail2ban's backend options turned into journalctl's arguments,
// and what cannot be honoured refused with the reason.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { journalReadArgs, parseJournalLog, readJournal } from "../../cli/regex/journal-log.js";
import { JOURNAL_OUTPUT_FIELDS } from "../../host/sources/journal-entry.js";
import type { LogLine } from "../../host/sources/log-source.js";

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
      JOURNAL_OUTPUT_FIELDS,
      "--no-pager",
      "--directory=/j",
      "_SYSTEMD_UNIT=sshd.service",
      "+",
      "MESSAGE=a b; rm -rf /",
    ]);
    expect(journalReadArgs(log, undefined)).toEqual([
      "--output=json",
      JOURNAL_OUTPUT_FIELDS,
      "--no-pager",
      "--directory=/j",
    ]);
  });
});

/** A stand-in journalctl: a node script printing `records` as JSON lines, `note` on stderr, exiting with `code`. */
function fakeJournalctl(name: string, records: readonly unknown[], note: string, code = 0, extra = ""): string {
  const path = join(dir, name);
  const out = records.map((r) => JSON.stringify(r)).join("\n");
  writeFileSync(
    path,
    `#!${process.execPath}\nprocess.stderr.write(${JSON.stringify(note)});\nprocess.stdout.write(${JSON.stringify(out)} + "\\n" + ${JSON.stringify(extra)}, () => process.exit(${code}));\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

describe("readJournal", () => {
  const record = (n: number) => ({
    __REALTIME_TIMESTAMP: String(1_700_000_000_000_000 + n),
    _COMM: "sshd",
    MESSAGE: `line ${n}`,
  });

  it("hands the entries over in order, in batches, and returns journalctl's notes", async () => {
    const command = fakeJournalctl(
      "ok",
      Array.from({ length: 5000 }, (_, n) => record(n)),
      "Hint: only your own entries\n",
    );
    const batches: LogLine[][] = [];
    const said = await readJournal(
      [],
      async (lines) => {
        batches.push([...lines]);
      },
      command,
    );
    expect(said).toBe("Hint: only your own entries");
    const all = batches.flat();
    expect(all).toHaveLength(5000);
    expect(all[4999]).toMatchObject({ text: "sshd: line 4999", time: 1_700_000_000.004999 });
    expect(batches.length).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ["bad", [], "", 0, "not json\n", /printed a line that is not a JSON record: not json/],
    ["failing", [], "Failed to open files\n", 1, "", /exited with status 1: Failed to open files/],
  ])("refuses %s output", async (name, records, note, code, extra, message) => {
    const command = fakeJournalctl(name, records, note, code, extra);
    await expect(readJournal([], async () => undefined, command)).rejects.toThrow(message);
  });

  it("says when journalctl is missing", async () => {
    await expect(readJournal([], async () => undefined, join(dir, "no-journalctl"))).rejects.toThrow(
      /cannot run .*no-journalctl: not found \(the journal is read through systemd's journalctl\)/,
    );
  });
});

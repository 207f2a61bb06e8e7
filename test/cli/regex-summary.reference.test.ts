// `cloudjail regex`'s summary is fail2ban-regex's, character for character (but the time taken): both commands run
// here on the same logs with fail2ban's own filters: every sample log of fail2ban's test corpus with its filter, and
// generated sshd logs with the --maxlines, --datepattern and --print-all-* / --print-no-* options. Needs the built
// command and the reference package (`npm test` prepares both).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeAuthLog } from "../../bench/auth-log.js";
import { fail2banConfig, fail2banSampleLogs, requireFail2ban } from "../support/reference.js";
import { cloudjailRegex, fail2banRegex, withoutTime } from "../support/regex-commands.js";

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

const ours = (log: string, options: readonly string[], filter = "sshd") =>
  withoutTime(cloudjailRegex([...options, log, filter]));
const theirs = (log: string, options: readonly string[], filter = "sshd") =>
  withoutTime(fail2banRegex([...options, log, filter]));

describe("cloudjail regex summary against fail2ban-regex", () => {
  // about 90 runs of each command: a minute here, more on a loaded machine
  it("gives fail2ban-regex's summary on every sample log of fail2ban's corpus, with its filter", {
    timeout: 600_000,
  }, () => {
    const samples = readdirSync(fail2banSampleLogs).filter((name) =>
      existsSync(join(fail2banConfig, "filter.d", `${name}.conf`)),
    );
    expect(samples.length).toBeGreaterThan(80);
    const differing: string[] = [];
    for (const name of samples) {
      // fail2ban-regex leaves a last line without its newline unread (its daemon waits for the line to end);
      // cloudjail reads it: compare on the file with the newline
      const text = readFileSync(join(fail2banSampleLogs, name), "utf8");
      const log = join(dir, `sample-${name}`);
      writeFileSync(log, text.endsWith("\n") ? text : `${text}\n`);
      const expected = theirs(log, [], name);
      expect(expected).toMatch(/^Lines: \d+ lines/m);
      if (ours(log, [], name) !== expected) differing.push(name);
    }
    expect(differing).toEqual([]);
  });

  it.each(["ejabberd-auth", "guacamole", "mongodb-auth", "slapd"])(
    "gives fail2ban-regex's summary for the multi-line filter %s on its sample repeated past many worker chunks",
    (name) => {
      // lines that a later line's match takes out of the buffer move from missed to matched, also across the
      // worker's 512-line chunks, and the first missed line of that text is the one that goes
      const text = readFileSync(join(fail2banSampleLogs, name), "utf8");
      const log = join(dir, `repeated-${name}`);
      writeFileSync(log, `${text.trimEnd()}\n`.repeat(120));
      for (const options of [[], ["--print-all-missed", "--print-all-matched", "--print-all-ignored"]]) {
        const expected = theirs(log, options, name);
        expect(expected).toMatch(/^Lines: \d+ lines/m);
        expect(ours(log, options, name)).toBe(expected);
      }
    },
  );

  it.each([
    [40, []],
    [400, []],
    [400, ["--maxlines", "3"]],
    [40, ["--datepattern", "^%b %d %H:%M:%S"]],
    [40, ["--print-all-matched"]],
    [400, ["--print-all-matched", "--print-all-ignored", "--print-all-missed"]],
    [400, ["--print-no-ignored", "--print-all-missed"]],
    [40, ["--print-no-missed", "--print-no-ignored"]],
    [400, ["--no-check-all", "--print-all-matched"]],
    [40, ["--usedns", "no", "--TZ", "UTC"]],
  ])("%i lines, options %j: the same summary", (count, options) => {
    const log = logs[count]!;
    const expected = theirs(log, options);
    expect(expected).toMatch(/^Lines: \d+ lines, \d+ ignored, \d+ matched, \d+ missed/m);
    expect(ours(log, options)).toBe(expected);
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

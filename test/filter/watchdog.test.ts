// The ReDoS guard: a line that makes a backtracking regex run away is abandoned within the per-line budget, the
// lines around it are processed normally, and the run goes on.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { LineStats } from "../../shared/filter/line-stats.js";
import { LogFilter } from "../../shared/filter/log-filter.js";
import { GuardedLogFilter, isStalled } from "../../shared/filter/watchdog/guarded-filter.js";
import { bundledFilterWorker } from "../support/filter-worker.js";
import { fail2banConfig, requireFail2ban } from "../support/reference.js";

let workDir: string;
let workerPath: string;
let removeWorker: () => void;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "cloudjail-watchdog-"));
  ({ workerPath, remove: removeWorker } = await bundledFilterWorker());
}, 120_000);

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
  removeWorker();
});

const now = Date.UTC(2024, 5, 1) / 1000;
const context = { now };

describe("GuardedLogFilter", () => {
  // Nested overlapping quantifiers and a lookahead: exponential backtracking that no rewrite can make possessive,
  // and V8's linear fallback engine does not apply.
  const evil = "^ \\S+ session (?:\\w+\\s?)+:(?! from ) rejected from <HOST>$";
  const normal = "2024-06-01 10:00:00 gw session abc: rejected from 192.0.2.10";
  // it holds the literal every match needs (" rejected from "), so that the prefilter lets it reach the regex
  const pathological = `2024-06-01 10:00:01 gw session ${"a".repeat(40)}! rejected from 192.0.2.9`;

  it("abandons a pathological line within the budget and processes the lines around it", async () => {
    const filter = await GuardedLogFilter.start(
      { failregex: [evil] },
      { useDns: "raw", timeZone: "UTC" },
      { workerPath },
    );
    try {
      const results = await filter.processBatch(
        [normal, pathological, normal.replace(".10", ".11")],
        [context, context, context],
      );
      expect(results).toHaveLength(3);
      const [first, second, third] = results;
      expect(first && !isStalled(first) && first.failures.map((f) => f.id)).toEqual(["192.0.2.10"]);
      expect(second && isStalled(second)).toBe(true);
      // CPU time: on a loaded machine the worker may be starved and wall time says nothing about the guard
      if (second && isStalled(second)) expect(second.cpuMs).toBeLessThan(50);
      expect(third && !isStalled(third) && third.failures.map((f) => f.id)).toEqual(["192.0.2.11"]);
      expect(filter.stalledLines).toBe(1);
    } finally {
      await filter.close();
    }
  });

  it("reads a log file itself, abandons a pathological line in it and resumes after it", async () => {
    // more lines than one output chunk before the stuck line: the fresh worker replays only the lines after the
    // last chunk received, so every other line is reported exactly once, with its number
    const lines: string[] = [];
    for (let i = 1; i <= 6000; i++) {
      if (i === 4500) lines.push(pathological);
      else if (i === 10) lines.push("");
      else if (i === 11) lines.push("# a comment");
      else
        lines.push(
          normal.replace(".10", `.${i % 250}`).replace("10:00:00", `10:${String(i % 60).padStart(2, "0")}:00`),
        );
    }
    const path = join(workDir, "stall.log");
    const content = `${lines.join("\r\n")}\r\n`;
    writeFileSync(path, content);
    const filter = await GuardedLogFilter.start(
      { failregex: [evil] },
      { useDns: "raw", timeZone: "UTC" },
      { workerPath },
    );
    const range = { path, start: 0, end: Buffer.byteLength(content), firstLine: 1 };
    const expected = lines.flatMap((line, index) => {
      const m = /^2024-06-01 10:(\d\d):00 gw session abc: rejected from (\S+)$/.exec(line);
      return m ? [[index + 1, m[2], Date.UTC(2024, 5, 1, 10, Number(m[1])) / 1000]] : [];
    });
    expect(expected).toHaveLength(5997);
    try {
      // JSON output: every other line reported once, in order, and the stuck line in its place
      const events: Array<string | number> = [];
      await filter.processFile(range, { mode: "failures", deferHostNames: false }, context, {
        parts: (parts) => {
          for (const part of parts) if ("text" in part) events.push(part.text);
        },
        stalled: (line) => {
          events.push(line.lineNumber);
          expect(line.text).toBe(pathological);
          // the time it took is asserted by the tests above; here the main thread also receives output meanwhile
          expect(line.budgetMs).toBe(40);
        },
      });
      const stalledAt = events.findIndex((event) => typeof event === "number");
      expect(events[stalledAt]).toBe(4500);
      const rows = (list: Array<string | number>) =>
        list
          .join("")
          .trimEnd()
          .split("\n")
          .map((row) => JSON.parse(row) as { line: number; fid: string; time: number })
          .map((row) => [row.line, row.fid, row.time]);
      expect(rows(events.slice(0, stalledAt))).toEqual(expected.filter(([line]) => (line as number) < 4500));
      expect(rows(events.slice(stalledAt + 1))).toEqual(expected.filter(([line]) => (line as number) > 4500));
      expect(filter.stalledLines).toBe(1);

      // summary: the same lines counted, the stuck one handed over to be counted as missed
      const stats = new LineStats(1, 0);
      await filter.processFile(range, { mode: "summary", deferHostNames: false }, context, {
        parts: (parts) => {
          for (const part of parts) if ("stats" in part) stats.merge(part.stats);
        },
        stalled: (line) => stats.addStalled(line.text),
      });
      expect(stats.current).toMatchObject({ tested: 5998, matched: 5997, missed: 1, stalled: 1, failHits: [5997] });
      expect(stats.current.missedLines).toEqual([pathological]);
      expect(filter.stalledLines).toBe(2);
    } finally {
      await filter.close();
    }
  });

  it("does not count the one-time compilation of date templates against a line", async () => {
    // A first line without a date makes the detector try (and so compile) about 30 of the default templates: some
    // 60 ms on this machine, well over this budget. Each compilation restarts the line's clock; the line itself is
    // cheap, so nothing may be abandoned.
    const filter = await GuardedLogFilter.start(
      { failregex: ["rejected from <HOST>$"] },
      { useDns: "raw", timeZone: "UTC" },
      { workerPath, lineBudgetMs: 15 },
    );
    try {
      const lines = ["gw session abc: rejected from 192.0.2.10", normal];
      const results = await filter.processBatch(lines, [context, context]);
      expect(results.map((r) => (isStalled(r) ? "stalled" : r.failures.map((f) => f.id).join()))).toEqual([
        "192.0.2.10",
        "192.0.2.10",
      ]);
      expect(filter.stalledLines).toBe(0);
    } finally {
      await filter.close();
    }
  });

  // a session's failure without an address, reported when the session's line naming it comes; the crafted lines
  // below hold " rejected", the literal every match of the third failregex needs, so that they reach the regex
  const sessionSpec = {
    prefregex: "^\\s*<F-MLFID>\\S+ sess\\[\\d+\\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$",
    failregex: [
      "^auth failed$",
      "^<F-NOFAIL>closed from</F-NOFAIL> <HOST>$",
      "^session (?:\\w+\\s?)+:(?! from ) rejected$",
    ],
  };

  it("keeps the sessions that earlier batches built across an abandoned line", async () => {
    // A session's failure without an address waits for the session's line that names it. A crafted line between the
    // two (another batch, as a daemon reads them) kills the worker: the fresh one must still know the session.
    const filter = await GuardedLogFilter.start(sessionSpec, { useDns: "raw", timeZone: "UTC" }, { workerPath });
    try {
      const first = await filter.processBatch(
        ["2024-06-01 10:00:00 gw sess[7]: auth failed", "2024-06-01 10:00:01 gw sess[8]: auth failed"],
        [context, context],
      );
      const second = await filter.processBatch(
        [
          `2024-06-01 10:00:02 gw sess[9]: session ${"a".repeat(40)}! rejected`,
          "2024-06-01 10:00:03 gw sess[7]: closed from 192.0.2.7",
          "2024-06-01 10:00:04 gw sess[5]: closed from 192.0.2.5",
        ],
        [context, context, context],
      );
      const ids = (results: typeof first) =>
        results.map((r) => (isStalled(r) ? "stalled" : r.failures.map((f) => f.id).join()));
      expect(ids(first)).toEqual(["", ""]);
      expect(ids(second)).toEqual(["stalled", "192.0.2.7", ""]);
      expect(filter.stalledLines).toBe(1);
    } finally {
      await filter.close();
    }
  });

  it("keeps a session from lines read chunks before an abandoned line of a file", async () => {
    // The same session case in a file: its start lies three output chunks (512 lines each) before the stuck line.
    const lines = ["2024-06-01 10:00:00 gw sess[7]: auth failed"];
    for (let i = 0; i < 1600; i++) lines.push(`2024-06-01 10:00:01 gw cron[1]: tick ${i}`);
    lines.push(`2024-06-01 10:00:02 gw sess[9]: session ${"a".repeat(40)}! rejected`);
    lines.push("2024-06-01 10:00:03 gw sess[7]: closed from 192.0.2.7");
    const path = join(workDir, "session.log");
    const content = `${lines.join("\n")}\n`;
    writeFileSync(path, content);
    const filter = await GuardedLogFilter.start(sessionSpec, { useDns: "raw", timeZone: "UTC" }, { workerPath });
    try {
      let json = "";
      const stalled: number[] = [];
      await filter.processFile(
        { path, start: 0, end: Buffer.byteLength(content), firstLine: 1 },
        { mode: "failures", deferHostNames: false },
        context,
        {
          parts: (parts) => {
            for (const part of parts) if ("text" in part) json += part.text;
          },
          stalled: (line) => stalled.push(line.lineNumber),
        },
      );
      expect(stalled).toEqual([1602]);
      const rows = json.split("\n").filter((row) => row !== "");
      expect(rows.map((row) => JSON.parse(row)).map((row) => `${row.line} ${row.ip}`)).toEqual(["1603 192.0.2.7"]);
    } finally {
      await filter.close();
    }
  });

  it("takes a batch of 100,000 lines without abandoning any (a daemon reading a large log at once)", async () => {
    // Copying a whole batch's results out of the worker took longer than the budget and was held against the batch's
    // last line: it was abandoned, the rest replayed, abandoned again... until the replays overflowed the stack and
    // the whole batch was lost. Batches now go in slices, and copying out is nobody's time.
    const filter = await GuardedLogFilter.start(
      { failregex: ["rejected from <HOST>$"] },
      { useDns: "raw", timeZone: "UTC" },
      { workerPath },
    );
    try {
      const lines = Array.from(
        { length: 100_000 },
        (_, i) =>
          `2024-06-01 10:00:00 gw session s${i}: rejected from 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      );
      const results = await filter.processBatch(
        lines,
        lines.map(() => context),
      );
      expect(filter.stalledLines).toBe(0);
      expect(results).toHaveLength(lines.length);
      expect(
        results.every((r, i) => !isStalled(r) && r.failures[0]?.id === lines[i]!.slice(lines[i]!.lastIndexOf(" ") + 1)),
      ).toBe(true);
    } finally {
      await filter.close();
    }
  });

  it("reports a filter that does not compile as a setup error", async () => {
    await expect(
      GuardedLogFilter.start({ failregex: ["^(unclosed <HOST>"] }, { useDns: "raw" }, { workerPath }),
    ).rejects.toThrow(/failregex\[1\].*position/);
  });

  it("keeps fail2ban's RFC 5424 sshd prefix under 50 ms on a crafted line", async () => {
    requireFail2ban();
    const definition = loadFilterDefinition(fail2banConfig, { name: "sshd", options: { logtype: "rfc5424" } });
    const spec = {
      failregex: definition.failregex.map((r) => r.pattern),
      ...(definition.prefregex ? { prefregex: definition.prefregex } : {}),
      ...(definition.datepattern ? { datepattern: definition.datepattern } : {}),
    };
    const crafted = `<38>1 2019-07-08T17:40:16.954167-04:00 host sshd 57915 - [${"a".repeat(30)} Failed password for root from 192.0.2.1`;
    const genuine =
      "<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2";
    // in process: the translation itself must not backtrack exponentially on this line
    const direct = new LogFilter(spec, { useDns: "raw", timeZone: "UTC" });
    direct.warmUp();
    const started = performance.now();
    direct.processLine(crafted, context);
    const inProcessMs = performance.now() - started;
    // through the guard: whatever the translation does, the line costs at most the budget
    const filter = await GuardedLogFilter.start(spec, { useDns: "raw", timeZone: "UTC" }, { workerPath });
    try {
      const [craftedResult, genuineResult] = await filter.processBatch([crafted, genuine], [context, context]);
      if (craftedResult && isStalled(craftedResult)) expect(craftedResult.cpuMs).toBeLessThan(50);
      else expect(inProcessMs).toBeLessThan(50);
      expect(genuineResult && !isStalled(genuineResult) && genuineResult.failures.map((f) => f.id)).toEqual([
        "192.0.2.1",
      ]);
    } finally {
      await filter.close();
    }
  });
});

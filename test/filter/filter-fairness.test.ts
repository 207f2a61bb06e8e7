// Jails sharing a filter thread: one jail fed slow lines delays another by one turn at most, a jail that is unfair
// to the others (lines abandoned again and again, or persistently slow lines) is isolated on the quarantine thread,
// and an abandoned line makes each filter of the thread replay only what its state needs. Counted in turns and
// lines, never timed: the slow lines cost milliseconds each by exponential backtracking, whatever the machine.
import { describe, expect, it } from "vitest";
import { FilterThreadPool } from "../../shared/filter/watchdog/filter-thread-pool.js";
import {
  type GuardedLineResult,
  type GuardedLogFilter,
  isStalled,
} from "../../shared/filter/watchdog/guarded-filter.js";
import { useBundledFilterWorker } from "../support/filter-worker.js";

const worker = useBundledFilterWorker();

const now = Date.UTC(2024, 5, 1) / 1000;
const options = { useDns: "raw", timeZone: "UTC" } as const;
const ids = (results: readonly GuardedLineResult[]) =>
  results.map((r) => (isStalled(r) ? "stalled" : r.failures.map((f) => f.id).join()));
const batch = (filter: GuardedLogFilter, lines: readonly string[], source?: string) =>
  filter.processBatch(
    lines,
    lines.map(() => ({ now })),
    source,
  );
const pause = () => new Promise((resolve) => setTimeout(resolve, 2));

// Nested quantifiers: a line with `a` repeated n times and no colon backtracks about 2^n steps. The lines differ
// (the engine remembers the result of a line it has seen); n = 19 costs a few milliseconds, under the 40 ms budget;
// n = 30 runs for seconds and is abandoned.
const burnerSpec = { failregex: ["^ \\S+ session (?:\\w+\\s?)+:(?! from ) rejected from <HOST>$"] };
const burning = (n: number, i: number) =>
  `2024-06-01 10:00:01 gw${i} session ${"a".repeat(n)}! rejected from 192.0.2.1`;
const rejected = (i: number) => `2024-06-01 10:00:02 gw session ok: rejected from 192.0.2.${i}`;
const sshdSpec = { failregex: ["^ sshd\\[\\d+\\]: Failed password for \\S+ from <HOST>"] };
const sshdLine = (i: number) => `2024-06-01 10:00:03 sshd[42]: Failed password for root from 198.51.100.${i}`;

describe("fair jails on a shared filter thread", () => {
  it("runs another jail's lines after at most one turn of a jail fed slow lines", async () => {
    const pool = new FilterThreadPool({ workerPath: worker.path }, 1);
    const slow = await pool.start(burnerSpec, options);
    const sshd = await pool.start(sshdSpec, options);
    try {
      expect(slow.currentThread).toBe(sshd.currentThread);
      let slowDone = false;
      const slowResults = batch(
        slow,
        Array.from({ length: 60 }, (_, i) => burning(19, i)),
      ).then((results) => {
        slowDone = true;
        return results;
      });
      // the slow jail holds the thread: its first turn is running
      while (slow.turns < 1) await pause();
      const turnsBefore = slow.turns;
      const sshdResults = await batch(sshd, [sshdLine(1), sshdLine(2), sshdLine(3)]);
      const slowTurnsMeanwhile = slow.turns - turnsBefore;
      expect(ids(sshdResults)).toEqual(["198.51.100.1", "198.51.100.2", "198.51.100.3"]);
      // the turn in progress, and at most the next one started when sshd's answer came back
      expect(slowTurnsMeanwhile).toBeLessThanOrEqual(1);
      expect(slowDone).toBe(false);
      const results = await slowResults;
      expect(ids(results)).toEqual(Array.from({ length: 60 }, () => ""));
      // the slow batch was cut into turns (a few lines each), not sent whole
      expect(slow.turns).toBeGreaterThanOrEqual(4);
      expect(sshd.stalledLines + slow.stalledLines).toBe(0);
    } finally {
      await slow.close();
      await sshd.close();
      await pool.close();
    }
  });

  it.each([
    {
      why: "lines abandoned again and again",
      lines: [burning(30, 1), rejected(7), burning(30, 2), rejected(8)],
      expected: ["stalled", "192.0.2.7", "stalled", "192.0.2.8"],
      reason: /^2 lines abandoned within 10 minutes: moved to the quarantine thread and throttled$/,
    },
    {
      why: "persistently slow lines",
      // 400 lines of a few ms each: well past the rule's 0.5 s window (n = 20 would come too near the 40 ms budget)
      lines: [...Array.from({ length: 400 }, (_, i) => burning(19, i)), rejected(9)],
      expected: [...Array.from({ length: 400 }, () => ""), "192.0.2.9"],
      reason:
        /^its lines took [\d.]+ ms each on average over the last \d+ .*: moved to the quarantine thread and throttled$/,
    },
  ])(
    "isolates a jail with $why on the quarantine thread, reported once, and keeps both jails working",
    async ({ lines, expected, reason }) => {
      const pool = new FilterThreadPool({ workerPath: worker.path }, 1);
      const reports: string[] = [];
      const burner = await pool.start(burnerSpec, options, { onIsolated: (why) => reports.push(why) });
      const sshd = await pool.start(sshdSpec, options);
      try {
        expect(ids(await batch(burner, lines))).toEqual(expected);
        expect(reports).toHaveLength(1);
        expect(reports[0]).toMatch(reason);
        expect(burner.isolation).toBe(reports[0]);
        expect(pool.quarantined).toBe(1);
        expect(pool.size).toBe(1);
        expect(burner.currentThread).not.toBe(sshd.currentThread);
        // both still match, each on its own thread; the isolated one is not reported again
        expect(ids(await batch(sshd, [sshdLine(4)]))).toEqual(["198.51.100.4"]);
        expect(ids(await batch(burner, [rejected(10), burning(30, 4), rejected(11)]))).toEqual([
          "192.0.2.10",
          "stalled",
          "192.0.2.11",
        ]);
        expect(reports).toHaveLength(1);
      } finally {
        await burner.close();
        await sshd.close();
      }
      expect(pool.quarantined).toBe(0);
      expect(pool.size).toBe(0);
      await pool.close();
    },
  );

  it("replays after an abandoned line only what each filter's state needs", async () => {
    const pool = new FilterThreadPool({ workerPath: worker.path }, 1);
    const table = [
      { name: "one line, no session", spec: sshdSpec, replayed: 0 },
      {
        name: "maxlines = 3",
        spec: { failregex: ["^ sshd\\[\\d+\\]: Failed password for \\S+ from <HOST>"], maxlines: 3 },
        replayed: 3 * 2,
      },
      {
        name: "sessions",
        spec: {
          prefregex: "^\\s*<F-MLFID>sshd\\[\\d+\\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$",
          failregex: ["^Failed password for \\S+ from <HOST>"],
        },
        replayed: 10 * 2,
      },
    ];
    const filters = await Promise.all(table.map(({ spec }) => pool.start(spec, options)));
    const burner = await pool.start(burnerSpec, options);
    try {
      // ten lines from each of two logs
      for (const filter of filters) {
        for (const source of ["/var/log/a.log", "/var/log/b.log"]) {
          await batch(
            filter,
            Array.from({ length: 10 }, (_, i) => sshdLine(i + 1)),
            source,
          );
        }
      }
      expect(ids(await batch(burner, [burning(30, 1), rejected(5)]))).toEqual(["stalled", "192.0.2.5"]);
      expect(
        table.map(({ name }, i) => ({ name, replayed: filters[i]!.replayedLines, kept: filters[i]!.historySize })),
      ).toEqual(
        table.map(({ name, replayed }) => ({ name, replayed, kept: name.startsWith("one line") ? 0 : replayed })),
      );
      // the filter that was stuck needs no replay either
      expect(burner.replayedLines).toBe(0);
      // and every filter still matches in the fresh worker
      for (const filter of filters) {
        expect(ids(await batch(filter, [sshdLine(77)], "/var/log/a.log"))).toEqual(["198.51.100.77"]);
      }
    } finally {
      for (const filter of [...filters, burner]) await filter.close();
      await pool.close();
    }
  });
});

// Filters sharing watched worker threads (the daemon's jails): few threads for many filters, each filter's results
// and state its own, and an abandoned line in one filter costs no other filter its sessions.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FilterThreadPool } from "../../shared/filter/watchdog/filter-thread-pool.js";
import {
  FilterSetupError,
  type GuardedLineResult,
  type GuardedLogFilter,
  isStalled,
} from "../../shared/filter/watchdog/guarded-filter.js";
import { useBundledFilterWorker } from "../support/filter-worker.js";

const worker = useBundledFilterWorker();

const now = Date.UTC(2024, 5, 1) / 1000;
const options = { useDns: "raw", timeZone: "UTC" } as const;
const threads = () => readdirSync("/proc/self/task").length;
const ids = (results: readonly GuardedLineResult[]) =>
  results.map((r) => (isStalled(r) ? "stalled" : r.failures.map((f) => f.id).join()));
const batch = (filter: GuardedLogFilter, lines: readonly string[]) =>
  filter.processBatch(
    lines,
    lines.map(() => ({ now })),
  );

// a session's failure without an address, reported when the session's line naming it comes
const sessionSpec = {
  prefregex: "^\\s*<F-MLFID>\\S+ sess\\[\\d+\\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$",
  failregex: ["^auth failed$", "^<F-NOFAIL>closed from</F-NOFAIL> <HOST>$"],
};
// exponential backtracking on a crafted line (see watchdog.test.ts)
const evilSpec = { failregex: ["^ \\S+ session (?:\\w+\\s?)+:(?! from ) rejected from <HOST>$"] };
// it holds the literal every match needs (" rejected from "), so that the prefilter lets it reach the regex
const pathological = `2024-06-01 10:00:01 gw session ${"a".repeat(40)}! rejected from 192.0.2.8`;

describe("FilterThreadPool", () => {
  it("runs many filters on at most maxThreads threads, each with its own results, and stops idle threads", async () => {
    const pool = new FilterThreadPool({ workerPath: worker.path }, 2);
    const before = threads();
    const filters = await Promise.all(
      Array.from({ length: 12 }, (_, n) => pool.start({ failregex: [`^ jail${n} failed for <HOST>$`] }, options)),
    );
    try {
      expect(pool.size).toBe(2);
      expect(threads() - before).toBeLessThanOrEqual(2);
      // every filter at once, interleaved on the two threads: each sees only its own pattern
      const results = await Promise.all(
        filters.map((filter, n) =>
          batch(filter, [
            `2024-06-01 10:00:00 jail${n} failed for 192.0.2.${n + 1}`,
            `2024-06-01 10:00:01 jail${(n + 1) % 12} failed for 198.51.100.${n + 1}`,
          ]),
        ),
      );
      for (const [n, result] of results.entries()) expect(ids(result)).toEqual([`192.0.2.${n + 1}`, ""]);
    } finally {
      for (const filter of filters) await filter.close();
    }
    expect(pool.size).toBe(0);
    await pool.close();
  });

  it("keeps the sessions of every filter on a thread that an abandoned line restarts", async () => {
    // one thread: the stuck line of one jail replaces the worker the other jail's open session lives in
    const pool = new FilterThreadPool({ workerPath: worker.path }, 1);
    const sessions = await pool.start(sessionSpec, options);
    const evil = await pool.start(evilSpec, options);
    try {
      expect(ids(await batch(sessions, ["2024-06-01 10:00:00 gw sess[7]: auth failed"]))).toEqual([""]);
      expect(
        ids(await batch(evil, [pathological, "2024-06-01 10:00:02 gw session ab: rejected from 192.0.2.9"])),
      ).toEqual(["stalled", "192.0.2.9"]);
      expect(evil.stalledLines).toBe(1);
      expect(sessions.stalledLines).toBe(0);
      expect(ids(await batch(sessions, ["2024-06-01 10:00:03 gw sess[7]: closed from 192.0.2.7"]))).toEqual([
        "192.0.2.7",
      ]);
    } finally {
      await sessions.close();
      await evil.close();
      await pool.close();
    }
  });

  it("refuses an invalid filter without disturbing the others on its thread", async () => {
    const pool = new FilterThreadPool({ workerPath: worker.path }, 1);
    const good = await pool.start({ failregex: ["^ failed for <HOST>$"] }, options);
    try {
      await expect(pool.start({ failregex: ["^(unclosed <HOST>"] }, options)).rejects.toBeInstanceOf(FilterSetupError);
      expect(ids(await batch(good, ["2024-06-01 10:00:00 failed for 192.0.2.1"]))).toEqual(["192.0.2.1"]);
      expect(pool.size).toBe(1);
    } finally {
      await good.close();
      await pool.close();
    }
  });
});

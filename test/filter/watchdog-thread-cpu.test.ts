// The guard's CPU clock is the worker thread's own: other busy threads of the process (the daemon's main thread,
// other jails' workers) must not get a starved line abandoned, and a stuck line is still caught.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { GuardedLogFilter, isStalled } from "../../shared/filter/watchdog/guarded-filter.js";
import {
  currentThreadTask,
  processCpuMilliseconds,
  threadCpuClock,
} from "../../shared/filter/watchdog/thread-cpu-clock.js";
import { useBundledFilterWorker } from "../support/filter-worker.js";

const worker = useBundledFilterWorker();

/**
 * A thread of this process that posts its /proc entry, then burns CPU for `burnMs` (or sleeps that long with `sleep`)
 * once told to `run`, and idles until it is ended.
 */
async function helperThread(
  burnMs: number,
  sleep = false,
): Promise<{ task: string; run: () => Promise<void>; end: () => Promise<number> }> {
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     parentPort.postMessage(require("node:fs").readlinkSync("/proc/thread-self"));
     parentPort.on("message", () => {
       if (workerData.sleep) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.burnMs);
       else { const end = Date.now() + workerData.burnMs; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1); }
       parentPort.postMessage("done");
     });`,
    { eval: true, workerData: { burnMs, sleep } },
  );
  const task = await new Promise<string>((resolve) =>
    worker.once("message", (link: string) => resolve(`/proc/${link}`)),
  );
  return {
    task,
    run: () =>
      new Promise<void>((resolve) => {
        worker.once("message", () => resolve());
        worker.postMessage("go");
      }),
    end: () => worker.terminate(),
  };
}

describe("threadCpuClock", () => {
  it("reads this thread's /proc entry", () => {
    const task = currentThreadTask();
    expect(task).toMatch(/^\/proc\/\d+\/task\/\d+$/);
    expect(threadCpuClock(task).source).toBe("schedstat");
    expect(threadCpuClock(undefined).source).toBe("process");
  });

  it("counts a thread's own CPU time, not the other threads'", async () => {
    const sleeper = await helperThread(400, true);
    const burner = await helperThread(300);
    const sleeperClock = threadCpuClock(sleeper.task).clock;
    const burnerClock = threadCpuClock(burner.task).clock;
    const [sleeperBefore, burnerBefore, processBefore] = [sleeperClock(), burnerClock(), processCpuMilliseconds()];
    await Promise.all([sleeper.run(), burner.run()]);
    const sleeperSpent = sleeperClock() - sleeperBefore;
    const burnerSpent = burnerClock() - burnerBefore;
    const processSpent = processCpuMilliseconds() - processBefore;
    const burnerLast = burnerClock();
    await Promise.all([sleeper.end(), burner.end()]);
    // the burner's clock saw its busy loop (less where the machine starved it), the sleeper's nearly nothing
    expect(burnerSpent).toBeGreaterThan(50);
    expect(sleeperSpent).toBeLessThan(15);
    expect(processSpent).toBeGreaterThanOrEqual(burnerSpent - 15);
    // a thread that has ended keeps its last reading
    expect(burnerClock()).toBe(burnerLast);
  });

  it("falls back to stat ticks, then to the process, where schedstat is missing", () => {
    const missing = join(worker.path, "no-such-task");
    expect(threadCpuClock(missing).source).toBe("process");
  });
});

describe("GuardedLogFilter CPU clock", () => {
  const spec = { failregex: ["^ \\S+ session \\w+: rejected from <HOST>$"] };
  const line = (i: number) =>
    `2024-06-01 10:00:${String(i % 60).padStart(2, "0")} gw session s${i}: rejected from 192.0.2.${i}`;
  const context = { now: Date.UTC(2024, 5, 1) / 1000 };

  it("does not abandon lines of a worker starved by another thread of the process", async () => {
    const filter = await GuardedLogFilter.start(
      spec,
      { useDns: "raw", timeZone: "UTC" },
      { workerPath: worker.path, lineBudgetMs: 40 },
    );
    const burner = await helperThread(1500);
    try {
      expect(filter.cpuClockSource).toBe("schedstat");
      const workerTid = filter.workerTask!.split("/").pop()!;
      const burnerTid = burner.task.split("/").pop()!;
      // the filter worker and the burner on one core, the filter worker at idle priority: for 1.5 s the worker
      // hardly runs, so its lines take far longer than the budget in wall time while the process burns a core
      for (const tid of [workerTid, burnerTid]) execFileSync("taskset", ["-p", "-c", "0", tid], { stdio: "ignore" });
      execFileSync("chrt", ["--idle", "-p", "0", workerTid], { stdio: "ignore" });
      const burning = burner.run();
      const lines = Array.from({ length: 40 }, (_, i) => line(i + 1));
      const started = performance.now();
      const results = await filter.processBatch(
        lines,
        lines.map(() => context),
      );
      const elapsed = performance.now() - started;
      await burning;
      await burner.end();
      expect(results.filter(isStalled)).toEqual([]);
      expect(results.map((r) => (isStalled(r) ? "stalled" : r.failures[0]?.id))).toEqual(
        lines.map((_, i) => `192.0.2.${i + 1}`),
      );
      expect(filter.stalledLines).toBe(0);
      // the starvation was real: the batch took longer than the budget (else this test shows nothing)
      expect(elapsed).toBeGreaterThan(200);
    } finally {
      await Promise.all([filter.close(), burner.end()]);
    }
  });

  it("still abandons a stuck line on its own thread's CPU time", async () => {
    const evil = { failregex: ["^ \\S+ session (?:\\w+\\s?)+:(?! from ) rejected from <HOST>$"] };
    const filter = await GuardedLogFilter.start(
      evil,
      { useDns: "raw", timeZone: "UTC" },
      { workerPath: worker.path, lineBudgetMs: 40 },
    );
    try {
      // with the literal every match needs, so that the prefilter lets it reach the regex
      const stuck = `2024-06-01 10:00:01 gw session ${"a".repeat(40)}! rejected from 192.0.2.9`;
      const [result] = await filter.processBatch([stuck], [context]);
      expect(result && isStalled(result)).toBe(true);
      if (result && isStalled(result)) {
        expect(result.cpuMs).toBeGreaterThanOrEqual(36);
        expect(result.elapsedMs).toBeLessThan(500);
      }
    } finally {
      await filter.close();
    }
  });
});

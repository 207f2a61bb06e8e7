// The pure parts of fair jails: turn sizes from a filter's measured cost, when a filter is judged unfair, and what a
// filter needs replayed after a fresh start. Tables: input in, decision out.
import { describe, expect, it } from "vitest";
import { FairnessWatch, MAX_TURN_LINES, TurnSizer } from "../../shared/filter/watchdog/filter-turns.js";
import { ReplayHistory, replayNeed, SESSION_HISTORY_LINES } from "../../shared/filter/watchdog/replay-history.js";

describe("TurnSizer", () => {
  it.each([
    { turns: [], next: 64 },
    { turns: [[2048, 10]], next: MAX_TURN_LINES },
    { turns: [[1, 40]], next: 1 },
    { turns: [[10, 50]], next: 5 },
    // a cheap filter turned slow: the estimate follows within a few turns
    {
      turns: [
        [2048, 10],
        [1, 40],
        [1, 40],
        [1, 40],
        [1, 40],
        [1, 40],
      ],
      next: 1,
    },
  ])("after turns $turns: $next lines", ({ turns, next }) => {
    const sizer = new TurnSizer();
    for (const [lines, ms] of turns) sizer.record(lines!, ms!);
    expect(sizer.nextLines()).toBe(next);
  });
});

describe("FairnessWatch", () => {
  it.each([
    { name: "one abandoned line", stalls: [0], reason: undefined },
    { name: "two within 10 minutes", stalls: [0, 599_000], reason: "2 lines abandoned within 10 minutes" },
    { name: "two 10 minutes apart", stalls: [0, 600_000], reason: undefined },
  ])("$name", ({ stalls, reason }) => {
    const watch = new FairnessWatch();
    let last: string | undefined;
    for (const at of stalls) last = watch.stalled(at);
    expect(last).toBe(reason);
  });

  it.each([
    // [lines, ms] per turn; the first two turns are warm-up (date templates compiled), never judged
    { name: "cheap lines", turns: Array.from({ length: 50 }, () => [2048, 20]), unfair: false },
    {
      name: "a slow warm-up then cheap lines",
      turns: [[1, 300], [1, 300], ...Array.from({ length: 50 }, () => [2048, 20])],
      unfair: false,
    },
    { name: "40 ms lines", turns: Array.from({ length: 40 }, () => [1, 40]), unfair: true },
    {
      name: "a cheap filter preempted now and then",
      turns: Array.from({ length: 50 }, (_, i) => [64, i % 10 === 0 ? 60 : 1]),
      unfair: false,
    },
  ])("$name: unfair $unfair", ({ turns, unfair }) => {
    const watch = new FairnessWatch();
    const reasons = turns.map(([lines, ms]) => watch.ran(lines!, ms!)).filter((reason) => reason !== undefined);
    expect(reasons.length > 0).toBe(unfair);
    if (unfair) expect(reasons[0]).toMatch(/^its lines took 40\.0 ms each on average over the last 20 /);
  });
});

describe("replayNeed", () => {
  it.each([
    { spec: { failregex: ["^fail from <HOST>$"] }, need: { kind: "none" } },
    { spec: { failregex: ["^fail from <HOST>$"], maxlines: 1 }, need: { kind: "none" } },
    { spec: { failregex: ["^fail from <HOST>$"], maxlines: 5 }, need: { kind: "buffer", lines: 5 } },
    {
      spec: { prefregex: "^<F-MLFID>\\S+</F-MLFID> <F-CONTENT>.+</F-CONTENT>$", failregex: ["^fail$"] },
      need: { kind: "sessions", lines: SESSION_HISTORY_LINES },
    },
    {
      spec: { failregex: ["^(?P<mlfid>\\S+) fail from <HOST>$"] },
      need: { kind: "sessions", lines: SESSION_HISTORY_LINES },
    },
  ])("$spec.failregex, maxlines $spec.maxlines: $need.kind", ({ spec, need }) => {
    expect(replayNeed(spec)).toEqual(need);
  });

  it("keeps each log's last maxlines lines for a buffer, in order, and nothing for a one-line filter", () => {
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i}`);
    const contexts = lines.map(() => ({ now: 0 }));
    const buffer = new ReplayHistory({ kind: "buffer", lines: 3 });
    const none = new ReplayHistory({ kind: "none" });
    for (const history of [buffer, none]) {
      history.remember(lines, contexts, 0, 10, "a.log");
      history.remember(lines, contexts, 0, 4, "b.log");
    }
    expect(buffer.lines(Number.POSITIVE_INFINITY).map((entry) => `${entry.source} ${entry.line}`)).toEqual([
      "a.log line 7",
      "a.log line 8",
      "a.log line 9",
      "b.log line 1",
      "b.log line 2",
      "b.log line 3",
    ]);
    expect(buffer.lines(1).map((entry) => entry.line)).toEqual(["line 9", "line 3"]);
    expect(none.lines(Number.POSITIVE_INFINITY)).toEqual([]);
    expect(none.size).toBe(0);
  });
});

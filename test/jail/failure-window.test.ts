import { describe, expect, it } from "vitest";
import { addToWindow, roundHalfEven, windowAlive } from "../../shared/jail/failure-window.js";
import type { FailureWindow } from "../../shared/store/store.js";
import { askFail2ban } from "./reference/ask-fail2ban.js";

// Small deterministic generator so that a failing sequence can be reproduced from its seed.
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function sequence(seed: number, findTime: number, length: number): number[] {
  const random = generator(seed);
  const times: number[] = [];
  let time = 1_700_000_000;
  for (let i = 0; i < length; i++) {
    const roll = random();
    if (roll < 0.1 && times.length > 0) times.push(time - Math.floor(random() * findTime * 0.5));
    else {
      time += Math.floor(random() * random() * findTime * 1.5);
      times.push(time);
    }
  }
  return times;
}

// The counting alone, as fail2ban's FailManager does it: forget stale windows, add, ban (and forget) at maxretry.
function ours(times: number[], findTime: number, maxRetry: number) {
  let window: FailureWindow | undefined;
  return times.map((time) => {
    if (!windowAlive(window, findTime, time)) window = undefined;
    window = addToWindow(window, { time, weight: 1 }, findTime, 0, time);
    const retry = window.retry;
    const ban = retry >= maxRetry;
    if (ban) window = undefined;
    return { retry, ban };
  });
}

describe("failure window", () => {
  const cases = [
    { seed: 1, findTime: 600, maxRetry: 5 },
    { seed: 2, findTime: 600, maxRetry: 3 },
    { seed: 3, findTime: 60, maxRetry: 2 },
    { seed: 4, findTime: 3600, maxRetry: 10 },
    { seed: 5, findTime: 86400, maxRetry: 4 },
    { seed: 6, findTime: 300, maxRetry: 6 },
  ];

  it.each(cases)("counts like fail2ban's FailManager (seed $seed, findtime $findTime, maxretry $maxRetry)", (c) => {
    const times = sequence(c.seed, c.findTime, 400);
    const expected = askFail2ban<{ retry: number; ban: boolean }[]>({
      kind: "counting",
      findtime: c.findTime,
      maxretry: c.maxRetry,
      times,
    });
    const actual = ours(times, c.findTime, c.maxRetry);
    expect(actual).toEqual(expected);
    // The sequences must exercise rescaling and bans, or the comparison proves little.
    expect(expected.some((step) => step.ban)).toBe(true);
  });

  it("rescales a window that grew beyond findtime to the rate over findtime", () => {
    let window = addToWindow(undefined, { time: 0, weight: 1 }, 600, 0, 0);
    window = addToWindow(window, { time: 500, weight: 1 }, 600, 0, 500);
    // 2 failures over 1000 s are 1.2 per 600 s, rounded to 1, plus this one.
    window = addToWindow(window, { time: 1000, weight: 1 }, 600, 0, 1000);
    expect(window).toMatchObject({ firstTime: 400, lastTime: 1000, retry: 2, attempts: 3 });
  });

  it("adds out-of-order failures without moving the window", () => {
    let window = addToWindow(undefined, { time: 100, weight: 1 }, 600, 0, 100);
    window = addToWindow(window, { time: 50, weight: 3 }, 600, 0, 100);
    expect(window).toMatchObject({ firstTime: 100, lastTime: 100, retry: 4 });
  });

  it("remembers event ids still inside findtime and the last maxmatches lines, truncated", () => {
    let window: FailureWindow | undefined;
    for (let i = 0; i < 5; i++) {
      window = addToWindow(
        window,
        { time: i * 200, weight: 1, eventId: `e${i}`, line: `line ${i} ${"x".repeat(2000)}` },
        600,
        2,
        i * 200,
      );
    }
    expect(window?.events.map((event) => event.id)).toEqual(["e2", "e3", "e4"]);
    expect(window?.matches.map((line) => line.slice(0, 6))).toEqual(["line 3", "line 4"]);
    expect(window?.matches[0]).toHaveLength(1000);
  });

  it("rounds halves to even like Python", () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
  });
});

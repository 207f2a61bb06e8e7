// The session cache against a plain model of its rules (FIFO eviction of expired then oldest entries, a key stored
// again moving to the end, expiry on read), on random operations; and its memory bounded by its entries.
import { describe, expect, it } from "vitest";
import { SessionCache } from "../../shared/filter/session-cache.js";

/** The rules, written the plain way: a Map in store order, scanned from its oldest entry. */
class ModelCache {
  readonly entries = new Map<string, { value: number; expires: number }>();
  constructor(
    private readonly maxCount: number,
    private readonly maxAge: number,
  ) {}
  get(key: string, now: number): number | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }
  set(key: string, value: number, now: number): void {
    if (this.entries.size >= this.maxCount) {
      for (const [oldKey, entry] of this.entries) {
        this.entries.delete(oldKey);
        if (entry.expires > now && this.entries.size < this.maxCount) break;
      }
    }
    this.entries.delete(key);
    this.entries.set(key, { value, expires: now + this.maxAge });
  }
}

describe("SessionCache", () => {
  it.each([
    { maxCount: 5, maxAge: 30, keys: 12, seed: 1 },
    { maxCount: 100, maxAge: 300, keys: 400, seed: 2 },
    { maxCount: 3, maxAge: 5, keys: 4, seed: 3 },
  ])("follows the plain rules ($maxCount entries, $keys keys)", ({ maxCount, maxAge, keys, seed }) => {
    let a = seed;
    const next = (n: number) => {
      a = (a * 1103515245 + 12345) >>> 0;
      return a % n;
    };
    const cache = new SessionCache<number>(maxCount, maxAge);
    const model = new ModelCache(maxCount, maxAge);
    let now = 1000;
    for (let step = 0; step < 20_000; step++) {
      const key = `k${next(keys)}`;
      const op = next(10);
      if (op < 4) expect(cache.get(key, now)).toBe(model.get(key, now));
      else if (op < 9) {
        cache.set(key, step, now);
        model.set(key, step, now);
      } else {
        cache.delete(key);
        model.entries.delete(key);
      }
      expect(cache.size).toBe(model.entries.size);
      if (next(4) === 0) now += next(3);
    }
    for (let k = 0; k < keys; k++) expect(cache.get(`k${k}`, now)).toBe(model.get(`k${k}`, now));
  });

  it("keeps its queue bounded when the same keys are stored again and again", () => {
    const cache = new SessionCache<number>(10, 300);
    for (let i = 0; i < 100_000; i++) cache.set(`k${i % 3}`, i, 0);
    const queue = (cache as unknown as { queueKeys: string[] }).queueKeys;
    expect(queue.length).toBeLessThanOrEqual(2 * 10 + 64 + 1);
    expect(cache.size).toBe(3);
  });
});

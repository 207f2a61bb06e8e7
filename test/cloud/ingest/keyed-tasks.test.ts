import { describe, expect, it } from "vitest";
import { runKeyedTasks } from "../../../cloud/ingest/keyed-tasks.js";

describe("runKeyedTasks", () => {
  it("keeps each key's tasks in order while running keys side by side", async () => {
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const task = (key: string, n: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`${key}${n}`);
      running--;
    };
    const queues = new Map(["a", "b", "c", "d"].map((key) => [key, [task(key, 1), task(key, 2), task(key, 3)]]));
    await runKeyedTasks(queues, 2);
    for (const key of ["a", "b", "c", "d"]) {
      expect(log.filter((entry) => entry.startsWith(key))).toEqual([`${key}1`, `${key}2`, `${key}3`]);
    }
    expect(peak).toBe(2);
  });

  it("rejects with the first error", async () => {
    const queues = new Map([["a", [async () => Promise.reject(new Error("store down"))]]]);
    await expect(runKeyedTasks(queues, 4)).rejects.toThrow("store down");
  });
});

// Runs tasks that share a key one after the other, and tasks of different keys side by side (a bounded number at a
// time). Failures of one address must be counted in order; different addresses are independent, and a delivery full
// of attackers would otherwise wait for thousands of sequential store round trips.

/** Runs every queue's tasks in order, up to `concurrency` queues at once; rejects with the first error. */
export async function runKeyedTasks(
  queues: ReadonlyMap<string, ReadonlyArray<() => Promise<void>>>,
  concurrency: number,
): Promise<void> {
  const pending = [...queues.values()];
  const worker = async () => {
    for (let queue = pending.shift(); queue; queue = pending.shift()) {
      for (const task of queue) await task();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, pending.length)) }, worker));
}

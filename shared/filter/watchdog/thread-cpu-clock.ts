// CPU time of one thread, for the filter guard. Node 20 gives a thread no way to read another thread's CPU time, and
// process.cpuUsage() adds up every thread: in a daemon with a worker per jail, or with the main thread busy, the
// process burns a line's budget of CPU long before the line's own thread has. Linux publishes each thread's CPU
// time under /proc/<pid>/task/<tid>: the worker names its own entry once (/proc/thread-self), the guard reads it.
import { readFileSync, readlinkSync } from "node:fs";

/** Milliseconds of CPU time, from an arbitrary origin. */
export type CpuClock = () => number;

/** The /proc entry of the calling thread ("/proc/<pid>/task/<tid>"), or undefined where there is none. */
export function currentThreadTask(): string | undefined {
  try {
    return `/proc/${readlinkSync("/proc/thread-self")}`;
  } catch {
    return undefined;
  }
}

/** CPU time of the whole process (every thread), in milliseconds. */
export function processCpuMilliseconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** schedstat's first field: nanoseconds the thread has run (needs CONFIG_SCHED_INFO, on in common kernels). */
function schedstatMilliseconds(task: string): number {
  const text = readFileSync(`${task}/schedstat`, "latin1");
  const ns = Number(text.slice(0, text.indexOf(" ")));
  if (!Number.isFinite(ns)) throw new Error(`unreadable ${task}/schedstat`);
  return ns / 1e6;
}

/** utime + stime of /proc/.../stat, in clock ticks of 10 ms (USER_HZ is 100 on Linux). */
function statMilliseconds(task: string): number {
  const text = readFileSync(`${task}/stat`, "latin1");
  // the command name in parentheses may hold spaces: fields are counted after its closing parenthesis
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`unreadable ${task}/stat`);
  return ticks * 10;
}

/**
 * A clock of the CPU time of the thread whose /proc entry is `task`: nanosecond schedstat where the kernel has it,
 * else stat's 10 ms ticks, else (no /proc, not Linux) the whole process's CPU time. Once the thread is gone the clock
 * stays at its last reading.
 */
export function threadCpuClock(task: string | undefined): { readonly clock: CpuClock; readonly source: string } {
  if (task !== undefined) {
    for (const [source, read] of [
      ["schedstat", schedstatMilliseconds],
      ["stat", statMilliseconds],
    ] as const) {
      let last: number;
      try {
        last = read(task);
      } catch {
        continue;
      }
      const clock = () => {
        try {
          last = read(task);
        } catch {
          // the thread ended (terminated worker): keep the last reading
        }
        return last;
      };
      return { clock, source };
    }
  }
  return { clock: processCpuMilliseconds, source: "process" };
}

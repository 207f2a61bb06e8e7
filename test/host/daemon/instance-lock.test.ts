// One daemon per pid file and database: the lock refuses a live owner, and takes over a lock left by a process that
// is gone or whose pid now belongs to another program (a crash, a reboot, a reused pid).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { acquireInstanceLock, InstanceLockedError, processStartTime } from "../../../host/daemon/instance-lock.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-lock-"));
const sleepers: ChildProcess[] = [];
afterAll(() => {
  for (const child of sleepers) child.kill();
  rmSync(work, { recursive: true, force: true });
});

function sleeper(): number {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  sleepers.push(child);
  return child.pid!;
}

function deadPid(): number {
  return Number(spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim());
}

describe("acquireInstanceLock", () => {
  it("creates the folder 0700 and the file with pid and start time; a second taker in this process is refused", () => {
    const path = join(work, "run", "db.lock");
    const lock = acquireInstanceLock(path, "the database");
    expect(statSync(join(work, "run")).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, "utf8")).toBe(`${process.pid} ${processStartTime(process.pid)}\n`);
    expect(() => acquireInstanceLock(path, "the database")).toThrow(InstanceLockedError);
    lock.release();
    expect(() => readFileSync(path)).toThrow();
    acquireInstanceLock(path, "the database").release();
  });

  it("writes the pid alone in a pid file", () => {
    const path = join(work, "pidonly.pid");
    const lock = acquireInstanceLock(path, "the pid file", { pidOnly: true });
    expect(readFileSync(path, "utf8")).toBe(`${process.pid}\n`);
    lock.release();
  });

  const live = () => {
    const pid = sleeper();
    return `${pid} ${processStartTime(pid)}\n`;
  };
  it.each([
    ["a live owner (same pid, same start time)", live, true],
    ["a process that is gone", () => `${deadPid()} 12345\n`, false],
    ["a reused pid (same pid, another start time)", () => `${sleeper()} 1\n`, false],
    ["a pid file of a live program that is not cloudjail", () => `${sleeper()}\n`, false],
    ["garbage", () => "not a pid\n", false],
  ])("a lock held by %s: refused=%s", (_name, content, refused) => {
    const path = join(work, `held-${Math.random().toString(36).slice(2)}.lock`);
    const text = content();
    writeFileSync(path, text);
    if (refused) {
      expect(() => acquireInstanceLock(path, "the database")).toThrow(
        new RegExp(`another cloudjail server \\(pid ${text.split(" ")[0]}\\) already uses the database ${path}`),
      );
      expect(readFileSync(path, "utf8")).toBe(text);
    } else {
      const lock = acquireInstanceLock(path, "the database");
      expect(readFileSync(path, "utf8").split(" ")[0]).toBe(String(process.pid));
      lock.release();
    }
  });
});

// A file waits only for its own subscribers: while one jail is still handling earlier lines, its log is not read
// (its lines stay in the file), and another jail's log is read at once. Counted in lines delivered and passes.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileTailer } from "../../../host/sources/file-tailer.js";

let dir: string;
let tailer: FileTailer | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cloudjail-tail-pending-"));
});
afterEach(async () => {
  await tailer?.stop();
  tailer = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A subscriber that stays busy after each delivery until released. */
function busySubscriber() {
  const texts: string[] = [];
  let busy: Promise<void> | undefined;
  let release = () => {};
  return {
    texts,
    handler: (line: { text: string }) => {
      texts.push(line.text);
      busy ??= new Promise<void>((resolve) => {
        release = () => {
          busy = undefined;
          resolve();
        };
      });
    },
    pending: () => busy,
    release: () => release(),
  };
}

describe("FileTailer with busy subscribers", () => {
  it("reads another subscriber's file while one is busy, and the busy one's file once it is done", async () => {
    const slowLog = join(dir, "apache-error.log");
    const sshdLog = join(dir, "auth.log");
    writeFileSync(slowLog, "");
    writeFileSync(sshdLog, "");
    const slow = busySubscriber();
    const sshd: string[] = [];
    tailer = new FileTailer({ watch: false, pollIntervalMs: 60_000 });
    tailer.subscribe(slowLog, slow.handler, { pending: slow.pending });
    tailer.subscribe(sshdLog, (line) => sshd.push(line.text));
    await tailer.start();

    appendFileSync(slowLog, "slow 1\nslow 2\n");
    await tailer.poll();
    expect(slow.texts).toEqual(["slow 1", "slow 2"]);
    // the slow subscriber is busy: its new lines wait in the file, the other file is read at every pass
    appendFileSync(slowLog, "slow 3\n");
    appendFileSync(sshdLog, "sshd 1\n");
    await tailer.poll();
    appendFileSync(sshdLog, "sshd 2\n");
    await tailer.poll();
    expect(sshd).toEqual(["sshd 1", "sshd 2"]);
    expect(slow.texts).toEqual(["slow 1", "slow 2"]);
    expect(tailer.stats().get(slowLog)?.lines).toBe(2);
    // done: a pass comes by itself (no poll, no inotify here) and reads what waited, nothing lost or twice
    slow.release();
    for (let i = 0; i < 500 && slow.texts.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(slow.texts).toEqual(["slow 1", "slow 2", "slow 3"]);
  });

  it("does not read a file two subscribers share while either of them is busy", async () => {
    const log = join(dir, "shared.log");
    writeFileSync(log, "");
    const busy = busySubscriber();
    const other: string[] = [];
    tailer = new FileTailer({ watch: false, pollIntervalMs: 60_000 });
    tailer.subscribe(log, busy.handler, { pending: busy.pending });
    tailer.subscribe(log, (line) => other.push(line.text));
    await tailer.start();
    appendFileSync(log, "a\n");
    await tailer.poll();
    appendFileSync(log, "b\n");
    await tailer.poll();
    // the idle subscriber waits too: reading for it alone would pile the busy one's lines up in memory
    expect(other).toEqual(["a"]);
    busy.release();
    for (let i = 0; i < 500 && other.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(other).toEqual(["a", "b"]);
    expect(busy.texts).toEqual(["a", "b"]);
  });
});

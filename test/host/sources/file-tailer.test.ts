import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, mkdtempSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileTailer, MAX_LINE_BYTES } from "../../../host/sources/file-tailer.js";
import type { LogLine } from "../../../host/sources/log-source.js";

let dir: string;
let tailer: FileTailer | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cloudjail-tail-"));
});
afterEach(async () => {
  await tailer?.stop();
  tailer = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function collect(): { lines: LogLine[]; texts: () => string[] } {
  const lines: LogLine[] = [];
  return { lines, texts: () => lines.map((line) => line.text) };
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("FileTailer", () => {
  it("starts at the end of an existing file and delivers only new complete lines", async () => {
    const log = join(dir, "auth.log");
    writeFileSync(log, "old 1\nold 2\n");
    const got = collect();
    tailer = new FileTailer({ watch: false });
    tailer.subscribe(log, (line) => got.lines.push(line));
    await tailer.start();
    appendFileSync(log, "new 1\nnew 2 is par");
    await tailer.poll();
    expect(got.texts()).toEqual(["new 1"]);
    appendFileSync(log, "tial\r\n");
    await tailer.poll();
    expect(got.texts()).toEqual(["new 1", "new 2 is partial"]);
    expect(got.lines[0]!.source).toBe(log);
  });

  it("reads from the beginning when asked to", async () => {
    const log = join(dir, "a.log");
    writeFileSync(log, "one\ntwo\n");
    const got = collect();
    tailer = new FileTailer({ watch: false });
    tailer.subscribe(log, (line) => got.lines.push(line), { startAt: "beginning" });
    await tailer.start();
    await tailer.poll();
    expect(got.texts()).toEqual(["one", "two"]);
  });

  it("gives each line an event id of inode, byte offset and the line's SHA-1, the same from one version to the next", async () => {
    // Event ids are stored with a failure window: a restart that reads a line again must make the same id for it.
    const log = join(dir, "ids.log");
    const lines = ["Failed password for root from 192.0.2.1", "with a carriage return\r", "", "été ünïcode"];
    writeFileSync(log, `${lines.join("\n")}\n`);
    const got = collect();
    tailer = new FileTailer({ watch: false });
    tailer.subscribe(log, (line) => got.lines.push(line), { startAt: "beginning" });
    await tailer.start();
    await tailer.poll();
    const ino = statSync(log).ino;
    let offset = 0;
    const expected = lines.map((line) => {
      const text = line.replace(/\r$/, "");
      const id = `${ino}:${offset}:${createHash("sha1").update(text, "utf8").digest("base64url").slice(0, 12)}`;
      offset += Buffer.byteLength(line) + 1;
      return id;
    });
    expect(got.lines.map((line) => line.eventId)).toEqual(expected);
  });

  it("starts findtime back by the dates of the lines", async () => {
    const log = join(dir, "dated.log");
    const lines = Array.from({ length: 5000 }, (_, i) => `${1000 + i} line ${i}`);
    writeFileSync(log, `${lines.join("\n")}\n`);
    const got = collect();
    tailer = new FileTailer({ watch: false });
    const lineTime = (text: string) => Number(text.split(" ")[0]);
    tailer.subscribe(log, (line) => got.lines.push(line), { startAt: { since: 5990, lineTime } });
    await tailer.start();
    await tailer.poll();
    expect(got.texts()).toEqual(lines.slice(4990));
  });

  it("follows rotation by rename: the rest of the old file, then the new one from its start", async () => {
    const log = join(dir, "auth.log");
    writeFileSync(log, "before start\n");
    const got = collect();
    tailer = new FileTailer({ watch: false });
    tailer.subscribe(log, (line) => got.lines.push(line));
    await tailer.start();
    appendFileSync(log, "a\n");
    await tailer.poll();
    renameSync(log, `${log}.1`);
    // The writer still holds the old file until it reopens: this line lands in auth.log.1.
    appendFileSync(`${log}.1`, "b written after rename\nc unterminated");
    writeFileSync(log, "d in the new file\n");
    await tailer.poll();
    appendFileSync(log, "e\n");
    await tailer.poll();
    expect(got.texts()).toEqual(["a", "b written after rename", "c unterminated", "d in the new file", "e"]);
  });

  it("follows rotation by copy-truncate", async () => {
    const log = join(dir, "auth.log");
    writeFileSync(log, "");
    const got = collect();
    tailer = new FileTailer({ watch: false });
    tailer.subscribe(log, (line) => got.lines.push(line));
    await tailer.start();
    appendFileSync(log, "first line that is fairly long\nsecond line that is fairly long\n");
    await tailer.poll();
    writeFileSync(`${log}.1`, "copy");
    truncateSync(log, 0);
    appendFileSync(log, "after truncate\n");
    await tailer.poll();
    appendFileSync(log, "and more\n");
    await tailer.poll();
    expect(got.texts()).toEqual([
      "first line that is fairly long",
      "second line that is fairly long",
      "after truncate",
      "and more",
    ]);
  });

  it("notices a copy-truncate even when the file grew past the old position before the next look", async () => {
    const log = join(dir, "busy.log");
    writeFileSync(log, "");
    const got = collect();
    tailer = new FileTailer({ watch: false });
    tailer.subscribe(log, (line) => got.lines.push(line));
    await tailer.start();
    appendFileSync(log, "old one\nold two\n");
    await tailer.poll();
    truncateSync(log, 0);
    appendFileSync(log, "new content, longer than before\nand more\n");
    await tailer.poll();
    expect(got.texts()).toEqual(["old one", "old two", "new content, longer than before", "and more"]);
  });

  it("picks up a file that appears after start, by exact path and by glob, from its beginning", async () => {
    const exact = join(dir, "later.log");
    const got = collect();
    const globbed = collect();
    tailer = new FileTailer({ watch: false });
    tailer.subscribe(exact, (line) => got.lines.push(line));
    tailer.subscribe(join(dir, "sites", "*", "access.log"), (line) => globbed.lines.push(line));
    await tailer.start();
    await tailer.poll();
    writeFileSync(exact, "hello\n");
    await import("node:fs").then((fs) => fs.mkdirSync(join(dir, "sites", "one"), { recursive: true }));
    writeFileSync(join(dir, "sites", "one", "access.log"), "site one\n");
    writeFileSync(join(dir, "sites", "one", "error.log"), "not matched\n");
    await tailer.poll();
    expect(got.texts()).toEqual(["hello"]);
    expect(globbed.texts()).toEqual(["site one"]);
    expect(globbed.lines[0]!.source).toBe(join(dir, "sites", "one", "access.log"));
  });

  it("reads a log shared by several jails once and gives every line to each", async () => {
    const log = join(dir, "shared.log");
    writeFileSync(log, "");
    const jails = [collect(), collect(), collect()];
    tailer = new FileTailer({ watch: false });
    for (const jail of jails) tailer.subscribe(log, (line) => jail.lines.push(line));
    tailer.subscribe(join(dir, "*.log"), (line) => jails[2]!.lines.push({ ...line, text: `glob:${line.text}` }));
    await tailer.start();
    const payload = Array.from({ length: 1000 }, (_, i) => `line ${i}`);
    appendFileSync(log, `${payload.join("\n")}\n`);
    await tailer.poll();
    expect(jails[0]!.texts()).toEqual(payload);
    expect(jails[1]!.texts()).toEqual(payload);
    expect(jails[2]!.lines.length).toBe(2000);
    const stats = tailer.stats().get(log)!;
    expect(stats.opens).toBe(1);
    expect(stats.bytesRead).toBe(Buffer.byteLength(`${payload.join("\n")}\n`));
    expect(stats.lines).toBe(1000);
  });

  it("wakes up on inotify without waiting for the polling period", async () => {
    const log = join(dir, "fast.log");
    writeFileSync(log, "");
    const got = collect();
    tailer = new FileTailer({ pollIntervalMs: 60_000 });
    tailer.subscribe(log, (line) => got.lines.push(line));
    await tailer.start();
    const written = Date.now();
    appendFileSync(log, "now\n");
    await waitFor(() => got.lines.length === 1, 2000);
    // Far below the 60 s polling period: the inotify event woke the tailer (slack for a loaded machine).
    expect(Date.now() - written).toBeLessThan(1500);
  });

  it("falls back to polling when inotify is off", async () => {
    const log = join(dir, "polled.log");
    writeFileSync(log, "");
    const got = collect();
    tailer = new FileTailer({ watch: false, pollIntervalMs: 50 });
    tailer.subscribe(log, (line) => got.lines.push(line));
    await tailer.start();
    appendFileSync(log, "polled\n");
    await waitFor(() => got.lines.length === 1, 2000);
    expect(got.texts()).toEqual(["polled"]);
  });

  it("hands over a line of megabytes whole, and reports and skips one longer than MAX_LINE_BYTES", async () => {
    const log = join(dir, "long.log");
    const long = "a".repeat(6 * 1024 * 1024);
    const tooLong = "b".repeat(MAX_LINE_BYTES + 1);
    writeFileSync(log, `first\n${long}\n${tooLong}\nafter\n${"c".repeat(3 * MAX_LINE_BYTES)}`);
    const got = collect();
    const errors: string[] = [];
    tailer = new FileTailer({ watch: false, onError: (error) => errors.push(error.message) });
    tailer.subscribe(log, (line) => got.lines.push(line), { startAt: "beginning" });
    await tailer.start();
    for (let i = 0; i < 8; i++) await tailer.poll();
    expect(got.lines.map((line) => line.text.length)).toEqual([5, long.length, 5]);
    expect(got.lines[1]!.text).toBe(long);
    expect(got.lines[2]!.text).toBe("after");
    // the line after the 6 MiB one starts where it does in the file (event ids are made of offsets)
    expect(got.lines[2]!.eventId).toMatch(new RegExp(`:${6 + long.length + tooLong.length + 2}:`));
    expect(errors).toEqual([
      `the line at byte ${7 + long.length} is longer than ${MAX_LINE_BYTES} bytes: skipped`,
      `the line at byte ${13 + long.length + tooLong.length + 1} is longer than ${MAX_LINE_BYTES} bytes: skipped`,
    ]);
  });

  it("reads a backlog no faster than its lines are handled (whenReady)", async () => {
    // 40 MB: more than two passes of 16 MB. While the handlers are busy, the tailer must not read ahead.
    const log = join(dir, "backlog.log");
    const line = `${"x".repeat(99)}\n`;
    writeFileSync(log, line.repeat(400_000));
    let delivered = 0;
    let release: () => void = () => {};
    let busy: Promise<void> | undefined;
    tailer = new FileTailer({ pollIntervalMs: 20, whenReady: () => busy ?? Promise.resolve() });
    tailer.subscribe(
      log,
      () => {
        delivered++;
        busy ??= new Promise<void>((resolve) => {
          release = () => {
            busy = undefined;
            resolve();
          };
        });
      },
      { startAt: "beginning" },
    );
    await tailer.start();
    await waitFor(() => delivered > 0);
    // one pass, then nothing however long the handler takes (polls and inotify events come and wait)
    await new Promise((resolve) => setTimeout(resolve, 300));
    const firstPass = delivered;
    expect(firstPass).toBeLessThanOrEqual((16 * 1024 * 1024) / 100 + 2621);
    expect(firstPass).toBeGreaterThan(100_000);
    release();
    await waitFor(() => delivered > firstPass);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(delivered).toBeLessThanOrEqual(2 * firstPass + 2621);
    // once the handler keeps up, the rest comes
    for (let i = 0; i < 10 && delivered < 400_000; i++) {
      release();
      await waitFor(() => busy !== undefined || delivered === 400_000);
    }
    release();
    await waitFor(() => delivered === 400_000);
  });

  it("reads rotated files to their end when rotation outruns a reader that is behind: no line lost, none twice", async () => {
    // 3 generations of 7,000 lines each (about 500 KB), read 64 KB a pass while the handlers take their time: the log
    // is rotated twice (rename + create) long before the reader reaches the end of the first file.
    const log = join(dir, "auth.log");
    const generation = (g: number) =>
      Array.from({ length: 7000 }, (_, i) => `gen${g} line ${String(i).padStart(5, "0")} ${"x".repeat(50)}\n`).join("");
    writeFileSync(log, generation(1));
    const got: LogLine[] = [];
    let passes = 0;
    tailer = new FileTailer({
      watch: false,
      pollIntervalMs: 10,
      passBudget: 64 * 1024,
      // the handlers are slow: each pass waits a little before reading on
      whenReady: () => new Promise((resolve) => setTimeout(resolve, 25)).then(() => void passes++),
    });
    tailer.subscribe(log, (line) => got.push(line), { startAt: "beginning" });
    await tailer.start();
    await waitFor(() => got.length > 0);
    renameSync(log, `${log}.1`);
    writeFileSync(log, generation(2));
    // the reader notices the first rotation (it opens the second file) while still far behind in the first
    await waitFor(() => (tailer!.stats().get(log)?.opens ?? 0) === 2);
    expect(got.length).toBeLessThan(7000);
    renameSync(`${log}.1`, `${log}.2`);
    renameSync(log, `${log}.1`);
    writeFileSync(log, generation(3));
    await waitFor(() => got.length >= 21_000, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(got).toHaveLength(21_000);
    const expected = [1, 2, 3].flatMap((g) => generation(g).trimEnd().split("\n"));
    expect(got.map((line) => line.text)).toEqual(expected);
    expect(new Set(got.map((line) => line.eventId)).size).toBe(21_000);
    expect(tailer.stats().get(log)).toMatchObject({ opens: 3, lines: 21_000 });
    expect(passes).toBeGreaterThan(10);
  });
});

describe("FileTailer.backlog", () => {
  it("counts the bytes not read yet, a rotated file still held included, per pattern", async () => {
    const log = join(dir, "auth.log");
    const other = join(dir, "other.log");
    writeFileSync(log, "");
    writeFileSync(other, "");
    tailer = new FileTailer({ watch: false, passBudget: 10 });
    tailer.subscribe(log, () => {});
    tailer.subscribe(join(dir, "o*.log"), () => {});
    await tailer.start();
    expect(tailer.backlog([log])).toEqual([]);
    appendFileSync(log, "0123456789\n".repeat(3)); // 33 bytes, 10 read a pass
    appendFileSync(other, "x\n");
    expect(tailer.backlog([join(dir, "o*.log")])).toEqual([{ path: other, bytes: 2, averageLineBytes: undefined }]);
    await tailer.poll();
    expect(tailer.backlog([join(dir, "o*.log")])).toEqual([]);
    expect(tailer.backlog([log])).toEqual([{ path: log, bytes: 23, averageLineBytes: undefined }]);
    await tailer.poll();
    expect(tailer.backlog([log])).toEqual([{ path: log, bytes: 13, averageLineBytes: 20 }]);
    // rotated before its end was read: the rest of the old file counts, then the new file's bytes
    renameSync(log, `${log}.1`);
    writeFileSync(log, "new line\n");
    expect(tailer.backlog([log])).toEqual([{ path: log, bytes: 13, averageLineBytes: 20 }]);
    await tailer.poll(); // notices the rotation, opens the new file, reads 10 more bytes of the old one
    expect(tailer.backlog([log])[0]!.bytes).toBe(3 + 9);
    for (let i = 0; i < 5; i++) await tailer.poll();
    expect(tailer.backlog([log, join(dir, "*.log")])).toEqual([]);
  });
});

describe("FileTailer and a log rotated more than once between two looks", () => {
  const pause = () => new Promise((resolve) => setTimeout(resolve, 30));
  const generation = (name: string, count: number) =>
    Array.from({ length: count }, (_, i) => `${name} line ${i}`).join("\n") + "\n";
  const lines = (text: string) => text.trimEnd().split("\n");

  /** Runs the real logrotate with `options` on `log`, forced (a rotation now). */
  function logrotate(log: string, options: readonly string[]): void {
    const config = join(dir, "rotate.conf");
    writeFileSync(config, `${log} {\n  rotate 5\n  create\n${options.map((o) => `  ${o}\n`).join("")}}\n`);
    const run = spawnSync("logrotate", ["-f", "-s", join(dir, "state"), config], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
  }

  async function follow(log: string, errors: string[]): Promise<{ texts: () => string[] }> {
    const got = collect();
    tailer = new FileTailer({ watch: false, onError: (error, path) => errors.push(`${path}: ${error.message}`) });
    tailer.subscribe(log, (line) => got.lines.push(line), { startAt: "beginning" });
    await tailer.start();
    await tailer.poll();
    return got;
  }

  it("by rename, twice: the generation in between is found beside the log and read in its place", async () => {
    const log = join(dir, "auth.log");
    writeFileSync(log, generation("one", 3));
    const errors: string[] = [];
    const got = await follow(log, errors);
    appendFileSync(log, "one late\n");
    await pause();
    renameSync(log, `${log}.1`);
    writeFileSync(log, generation("two", 4));
    await pause();
    renameSync(`${log}.1`, `${log}.2`);
    renameSync(log, `${log}.1`);
    writeFileSync(log, generation("three", 2));
    await tailer!.poll();
    await tailer!.poll();
    // before: "two" was never read, and nothing said so
    expect(got.texts()).toEqual([
      ...lines(generation("one", 3)),
      "one late",
      ...lines(generation("two", 4)),
      ...lines(generation("three", 2)),
    ]);
    expect(errors).toEqual([]);
  });

  it.each([
    ["compress, delaycompress: the generation in between is plain and read", ["compress", "delaycompress"], true],
    ["compress: the generation in between is compressed, reported with its size", ["compress"], false],
    ["no compression: read", [], true],
  ])("real logrotate twice, %s", async (_name, options, readable) => {
    const log = join(dir, "secure");
    writeFileSync(log, generation("one", 3));
    const errors: string[] = [];
    const got = await follow(log, errors);
    appendFileSync(log, "one late\n");
    await pause();
    logrotate(log, options);
    writeFileSync(log, generation("two", 50));
    await pause();
    logrotate(log, options);
    appendFileSync(log, generation("three", 2));
    await tailer!.poll();
    await tailer!.poll();
    const two = readable ? lines(generation("two", 50)) : [];
    expect(got.texts()).toEqual([...lines(generation("one", 3)), "one late", ...two, ...lines(generation("three", 2))]);
    if (readable) expect(errors).toEqual([]);
    else {
      const size = statSync(`${log}.1.gz`).size;
      expect(errors).toEqual([
        `${log}: rotated again before it was read: ${log}.1.gz (${size} bytes compressed, ` +
          `${Buffer.byteLength(generation("two", 50))} bytes of log) was written after the file being read and ` +
          "compressed before it could be opened: its lines were not read",
      ]);
    }
    // the next rotation, looked at in time, is a plain one: nothing more reported, nothing read twice
    await pause();
    logrotate(log, options);
    appendFileSync(log, "four\n");
    await tailer!.poll();
    await tailer!.poll();
    expect(got.texts().at(-1)).toBe("four");
    expect(got.texts().filter((text) => text === "three line 0")).toHaveLength(1);
    expect(errors).toHaveLength(readable ? 0 : 1);
  });

  it("copytruncate while behind: the rest is read from the copy, then the file from its start", async () => {
    const log = join(dir, "app.log");
    const first = generation("one", 200);
    writeFileSync(log, first);
    const errors: string[] = [];
    const got = collect();
    tailer = new FileTailer({
      watch: false,
      passBudget: 1000,
      onError: (error, path) => errors.push(`${path}: ${error.message}`),
    });
    tailer.subscribe(log, (line) => got.lines.push(line), { startAt: "beginning" });
    await tailer.start();
    await tailer.poll();
    // behind: one pass of 1000 bytes read out of about 2,700
    expect(got.lines.length).toBeLessThan(100);
    logrotate(log, ["copytruncate"]);
    appendFileSync(log, "after truncate\n");
    for (let i = 0; i < 10; i++) await tailer.poll();
    expect(got.texts()).toEqual([...lines(first), "after truncate"]);
    expect(errors).toEqual([]);
  });

  it("copytruncate while behind, the copy compressed: the bytes not read are reported", async () => {
    const log = join(dir, "app.log");
    writeFileSync(log, generation("one", 200));
    const errors: string[] = [];
    const got = collect();
    tailer = new FileTailer({
      watch: false,
      passBudget: 1000,
      onError: (error, path) => errors.push(`${path}: ${error.message}`),
    });
    tailer.subscribe(log, (line) => got.lines.push(line), { startAt: "beginning" });
    await tailer.start();
    await tailer.poll();
    const size = statSync(log).size;
    logrotate(log, ["copytruncate", "compress"]);
    appendFileSync(log, "after truncate\n");
    for (let i = 0; i < 10; i++) await tailer.poll();
    expect(got.texts().at(-1)).toBe("after truncate");
    expect(errors).toEqual([
      `${log}: truncated (copytruncate) before it was read to its end: at least ${size - 1000} bytes from byte 1000 ` +
        "were not read (no plain copy of it beside it)",
    ]);
  });
});

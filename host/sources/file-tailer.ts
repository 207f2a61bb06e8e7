// Follows log files the way a daemon must: each file is opened and read once, whatever the number of jails that
// watch it, and every complete line is handed to each of them. Survives rotation by rename (the old file stays open
// and is read to its end, however far behind the reading is, before the new one is read from its start),
// copy-truncate (reading restarts at 0), and files or globs that appear after start. inotify (fs.watch on the parent
// directories) wakes it at once; polling is the fallback.
import * as crypto from "node:crypto";
import { closeSync, type FSWatcher, fstatSync, openSync, readSync, statSync, watch } from "node:fs";
import { dirname, isAbsolute, resolve, sep } from "node:path";
import { expandGlob, globMatches, hasGlob } from "./glob.js";
import type { LineHandler, LogSource } from "./log-source.js";
import { gzipContentSize, type RotatedFile, rotatedSiblings } from "./rotated-files.js";
import { type LineTime, offsetSince } from "./seek-since.js";

/** Where reading starts in a file that already exists when the tailer starts. */
export type StartAt = "end" | "beginning" | { readonly since: number; readonly lineTime: LineTime };

/** How a subscription reads its files. */
export interface SubscribeOptions {
  /** For files present at start; default `end`. Files that appear later are always read from their beginning. */
  readonly startAt?: StartAt;
  /**
   * While the subscriber is still handling lines delivered earlier: a promise resolving when it is done; undefined
   * when it takes more. A file with a busy subscriber is not read until every one of them is done, so that one jail's
   * backlog (a flood, slow lines) is read as fast as that jail handles it, while the other jails' files are read at
   * once.
   */
  readonly pending?: () => Promise<void> | undefined;
}

/** Tuning of the tailer; the defaults suit a daemon. */
export interface FileTailerOptions {
  /** Fallback polling period, also the longest delay when inotify misses an event. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Use fs.watch (inotify) on the parent directories. Default true. */
  readonly watch?: boolean;
  /** Reports read errors (permission denied, ...) without stopping the other files. */
  readonly onError?: (error: Error, path: string) => void;
  /**
   * Resolves when the line handlers can take more. Each pass waits for it before reading, so that a backlog (a large
   * log at start, a flood) is read as fast as it is handled instead of into memory all at once.
   */
  readonly whenReady?: () => Promise<void>;
  /** Most bytes read from one file in one pass (default 16 MiB), so that a huge backlog does not starve the loop. */
  readonly passBudget?: number;
}

/** What is left to read of one followed file (and of its rotated predecessors still held open). */
export interface FileBacklog {
  readonly path: string;
  /** Bytes written and not read yet. */
  readonly bytes: number;
  /** Average length of the lines read from it so far (bytes, newline included), for an estimate in lines. */
  readonly averageLineBytes: number | undefined;
}

/** Counters for tests and benchmarks. */
export interface FileStats {
  readonly opens: number;
  readonly bytesRead: number;
  readonly lines: number;
}

interface Subscription {
  readonly pattern: string;
  readonly handler: LineHandler;
  readonly startAt: StartAt;
  readonly pending: (() => Promise<void> | undefined) | undefined;
}

interface TailedFile {
  readonly path: string;
  fd: number | undefined;
  dev: number;
  ino: number;
  position: number;
  partial: PartialLine;
  /** Subscriptions that must skip lines before a given offset (their own start point in the first file). */
  skipBefore: Map<Subscription, number>;
  /** The subscriptions whose pattern matches this path, computed once. */
  subscribers: Set<Subscription>;
  stats: { opens: number; bytesRead: number; lines: number };
  /** The file's first bytes as last seen: when they change, the file was truncated and written again. */
  head: Buffer;
  /** The file's size when last looked at: past our position, bytes a truncation would take before they are read. */
  seenSize: number;
  /**
   * Earlier files at this path, renamed away (rotated) before they were read to their end, oldest first: still open,
   * read to their end before the current file is read at all, then closed.
   */
  retired: TailedFile[];
  /** A subscriber is busy with earlier lines: the file is read again once they are handled (see busy). */
  waiting: boolean;
}

/** How many leading bytes identify a file's content (fail2ban hashes the first line for the same purpose). */
const headSize = 128;

const chunkSize = 256 * 1024;
/** Default upper bound of bytes read from one file in one pass (see FileTailerOptions.passBudget). */
const defaultPassBudget = 16 * 1024 * 1024;

/**
 * Lines of a log could not be read: a generation rotated away twice before it was read and compressed meanwhile, or
 * a file truncated in place (copytruncate) before it was read to its end with no plain copy beside it. Reported
 * through onError with the file name and the bytes not read; reading goes on.
 */
export class RotationGapError extends Error {
  override name = "RotationGapError";
}

/** A line longer than MAX_LINE_BYTES was skipped (reported through onError; reading goes on). */
export class LineTooLongError extends Error {
  override name = "LineTooLongError";
}

/** Longest line handed over, in bytes; a longer one is reported and skipped. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

/**
 * The unterminated end of what was read of a file, kept as the pieces read (copying it into one buffer at every read
 * made a long line cost quadratic time) until its newline comes.
 */
class PartialLine {
  private pieces: Buffer[] = [];
  /** Bytes kept. */
  length = 0;
  /** File offset of the line's first byte. */
  start = 0;
  /** The line was too long: what is left of it, up to its newline, is dropped. */
  skipping = false;

  /** Keeps a copy of `bytes` (read into a reused buffer), found at file offset `offset`. */
  add(bytes: Buffer, offset: number): void {
    if (this.length === 0) this.start = offset;
    this.pieces.push(Buffer.from(bytes));
    this.length += bytes.length;
  }

  /** The whole line, ending with `last`; the partial line is empty afterwards. */
  take(last: Buffer): Buffer {
    const line = Buffer.concat([...this.pieces, last]);
    this.clear();
    return line;
  }

  /** Drops what is kept and what is still to come of this line. */
  skip(): void {
    this.pieces = [];
    this.length = 0;
    this.skipping = true;
  }

  clear(): void {
    this.pieces = [];
    this.length = 0;
    this.skipping = false;
  }
}

/** Tails files matched by the patterns subscribed to it, reading each file once and fanning lines out. */
export class FileTailer implements LogSource {
  readonly description = "files";
  private readonly subscriptions = new Set<Subscription>();
  private readonly files = new Map<string, TailedFile>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly options: Required<Omit<FileTailerOptions, "onError" | "whenReady">> &
    Pick<FileTailerOptions, "onError" | "whenReady">;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private scheduled = false;
  private pass: Promise<void> = Promise.resolve();

  constructor(options: FileTailerOptions = {}) {
    this.options = {
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      watch: options.watch ?? true,
      onError: options.onError,
      whenReady: options.whenReady,
      passBudget: options.passBudget ?? defaultPassBudget,
    };
  }

  /** Adds a pattern (path or glob) whose lines go to `handler`; returns the function that removes it again. */
  subscribe(pattern: string, handler: LineHandler, options: SubscribeOptions = {}): () => void {
    const subscription: Subscription = {
      pattern: isAbsolute(pattern) ? pattern : resolve(pattern),
      handler,
      startAt: options.startAt ?? "end",
      pending: options.pending,
    };
    this.subscriptions.add(subscription);
    if (this.running) this.attach(subscription, false);
    return () => {
      this.subscriptions.delete(subscription);
      for (const file of this.files.values()) {
        file.skipBefore.delete(subscription);
        file.subscribers.delete(subscription);
      }
    };
  }

  /** Opens every matching file at its start point and begins following. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (const subscription of this.subscriptions) this.attach(subscription, true);
    this.timer = setInterval(() => this.schedule(), this.options.pollIntervalMs);
    this.timer.unref?.();
  }

  /** Stops watching and closes every file; lines already read have been delivered. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await this.pass;
    for (const file of this.files.values()) {
      for (const old of file.retired) if (old.fd !== undefined) closeSync(old.fd);
      if (file.fd !== undefined) closeSync(file.fd);
    }
    this.files.clear();
  }

  /** Reads whatever is new in every file now; resolves when the lines have been delivered. */
  poll(): Promise<void> {
    this.pass = this.pass.then(() => this.readAll());
    return this.pass;
  }

  /** Per-file counters: how often each was opened, bytes read and lines delivered. */
  stats(): Map<string, FileStats> {
    return new Map([...this.files].map(([path, file]) => [path, { ...file.stats }]));
  }

  /**
   * Bytes not read yet of every followed file subscribed to with one of `patterns`: a backlog still in the files,
   * which the lines handed over do not show (the tailer reads no faster than the jails handle). A file truncated
   * below our position counts whole. Files with nothing left are omitted. (Matched by subscription, not by glob: a
   * jail asks after every batch of lines, and hundreds of files may be followed.)
   */
  backlog(patterns: readonly string[]): FileBacklog[] {
    const absolute = new Set(patterns.map((pattern) => (isAbsolute(pattern) ? pattern : resolve(pattern))));
    const out: FileBacklog[] = [];
    for (const [path, file] of this.files) {
      if (![...file.subscribers].some((subscription) => absolute.has(subscription.pattern))) continue;
      let bytes = 0;
      for (const held of [...file.retired, file]) bytes += unreadBytes(held);
      if (bytes === 0) continue;
      const { lines, bytesRead } = file.stats;
      out.push({ path, bytes, averageLineBytes: lines > 0 ? bytesRead / lines : undefined });
    }
    return out;
  }

  private schedule(): void {
    if (this.scheduled || !this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.poll();
    });
  }

  private attach(subscription: Subscription, atStart: boolean): void {
    this.watchDirectory(subscription.pattern);
    for (const path of expandGlob(subscription.pattern)) {
      const known = this.files.get(path);
      if (known) {
        if (atStart) this.placeStart(known, subscription);
        else known.skipBefore.set(subscription, known.position);
        known.subscribers.add(subscription);
        continue;
      }
      const file = this.track(path);
      if (file && atStart) {
        file.subscribers.clear();
        file.subscribers.add(subscription);
        file.position = this.startOffset(file, subscription.startAt);
      }
    }
  }

  /** Two jails on one file with different start points: the file is read from the earlier one, once. */
  private placeStart(file: TailedFile, subscription: Subscription): void {
    const wanted = this.startOffset(file, subscription.startAt);
    if (wanted < file.position) {
      for (const other of file.subscribers) if (!file.skipBefore.has(other)) file.skipBefore.set(other, file.position);
      file.position = wanted;
    } else if (wanted > file.position) file.skipBefore.set(subscription, wanted);
  }

  private startOffset(file: TailedFile, startAt: StartAt): number {
    if (file.fd === undefined) return 0;
    const size = fstatSync(file.fd).size;
    if (startAt === "beginning") return 0;
    if (startAt === "end") return size;
    return offsetSince(file.fd, size, startAt.since, startAt.lineTime);
  }

  private track(path: string): TailedFile | undefined {
    const file: TailedFile = {
      path,
      fd: undefined,
      dev: 0,
      ino: 0,
      position: 0,
      partial: new PartialLine(),
      skipBefore: new Map(),
      subscribers: new Set([...this.subscriptions].filter((subscription) => globMatches(subscription.pattern, path))),
      stats: { opens: 0, bytesRead: 0, lines: 0 },
      head: Buffer.alloc(0),
      seenSize: 0,
      retired: [],
      waiting: false,
    };
    if (!this.open(file)) return undefined;
    this.files.set(path, file);
    return file;
  }

  private open(file: TailedFile): boolean {
    try {
      const fd = openSync(file.path, "r");
      const stat = fstatSync(fd);
      file.fd = fd;
      file.dev = stat.dev;
      file.ino = stat.ino;
      file.position = 0;
      file.partial.clear();
      file.skipBefore.clear();
      file.head = Buffer.alloc(0);
      file.stats.opens++;
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") this.options.onError?.(error as Error, file.path);
      return false;
    }
  }

  private watchDirectory(pattern: string): void {
    if (!this.options.watch) return;
    // The deepest directory without glob characters: created files and renames show up as events on it.
    const parts = dirname(pattern).split(sep);
    const firstGlob = parts.findIndex((part) => hasGlob(part));
    const dir = (firstGlob < 0 ? parts : parts.slice(0, firstGlob)).join(sep) || sep;
    if (this.watchers.has(dir)) return;
    try {
      const watcher = watch(dir, { persistent: false }, () => this.schedule());
      watcher.on("error", () => {
        watcher.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, watcher);
    } catch {
      // The directory does not exist yet: polling finds the files once it does, then the watch is retried.
    }
  }

  private async readAll(): Promise<void> {
    if (!this.running) return;
    if (this.options.whenReady) {
      await this.options.whenReady();
      if (!this.running) return;
    }
    for (const subscription of this.subscriptions) {
      this.watchDirectory(subscription.pattern);
      for (const path of expandGlob(subscription.pattern)) {
        if (this.files.has(path)) continue;
        // A file that appeared after start: read all of it.
        this.track(path);
      }
    }
    for (const file of this.files.values()) {
      if (this.busy(file)) continue;
      try {
        this.follow(file);
      } catch (error) {
        this.options.onError?.(error as Error, file.path);
      }
    }
  }

  /**
   * Whether a subscriber of the file is still handling its earlier lines: the file waits (its lines stay in it, read
   * later), and a pass is scheduled for when they are all done.
   */
  private busy(file: TailedFile): boolean {
    if (file.waiting) return true;
    const waits: Promise<void>[] = [];
    for (const subscription of file.subscribers) {
      const pending = subscription.pending?.();
      if (pending) waits.push(pending);
    }
    if (waits.length === 0) return false;
    file.waiting = true;
    const done = () => {
      file.waiting = false;
      this.schedule();
    };
    Promise.all(waits).then(done, done);
    return true;
  }

  private follow(file: TailedFile): void {
    let current: ReturnType<typeof statSync> | undefined;
    try {
      current = statSync(file.path);
    } catch {
      current = undefined;
    }
    const replaced = !current || current.ino !== file.ino || current.dev !== file.dev;
    if (file.fd !== undefined && replaced) {
      // Rotated by rename (or removed): the old file stays open, to be read to its end (its last lines may have been
      // written just before, and a reader that is behind may have megabytes left in it); the new one is opened now,
      // so that a second rotation before we catch up finds it held too.
      const old: TailedFile = { ...file, skipBefore: new Map(file.skipBefore), retired: [] };
      file.retired.push(old);
      file.fd = undefined;
      file.partial = new PartialLine();
      this.findSkippedGenerations(file, old, current);
    }
    if (file.fd === undefined && current) this.open(file);
    // Lines keep their order: the rest of the rotated files before anything of the new one.
    for (let old = file.retired[0]; old !== undefined; old = file.retired[0]) {
      if (!this.drain(old, true)) return;
      closeSync(old.fd!);
      file.retired.shift();
    }
    if (file.fd === undefined) return;
    const size = fstatSync(file.fd!).size;
    // Truncated in place (copytruncate): the content starts again from 0. Shorter than where we were is the plain
    // sign; different first bytes catch a file that was truncated and grew past our position before we looked.
    if (size < file.position || (file.head.length > 0 && !this.readHead(file, file.head.length).equals(file.head))) {
      this.findTruncatedCopy(file);
      file.position = 0;
      file.partial.clear();
      file.skipBefore.clear();
      file.head = Buffer.alloc(0);
      if (file.retired.length > 0) {
        // the rest of the content before the truncation, from its copy, comes first: in the next pass
        file.seenSize = size;
        this.schedule();
        return;
      }
    }
    file.seenSize = size;
    this.drain(file, false);
    if (file.head.length < headSize && file.position > file.head.length) {
      file.head = this.readHead(file, Math.min(headSize, file.position));
    }
  }

  /**
   * The log was replaced: if it was rotated twice (or more) since we last looked, the generations in between were
   * never opened. They are the rotated files beside it written after the file we held (older generations were
   * last written before it): plain ones are read, in order, after the held file and before the new one; compressed
   * ones cannot be followed and are reported with their size.
   */
  private findSkippedGenerations(file: TailedFile, old: TailedFile, current: { dev: number; ino: number } | undefined) {
    let heldUntil: number;
    try {
      heldUntil = fstatSync(old.fd!).mtimeMs;
    } catch {
      return;
    }
    const known = this.knownInodes();
    if (current) known.add(`${current.dev}:${current.ino}`);
    const skipped = rotatedSiblings(file.path)
      .filter((rotated) => !known.has(`${rotated.dev}:${rotated.ino}`) && !this.files.has(rotated.path))
      // strictly later: a generation compressed keeps the time of the file it was made from
      .filter((rotated) => rotated.mtimeMs > heldUntil)
      .sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const rotated of skipped) {
      if (rotated.compressed) {
        const content = gzipContentSize(rotated);
        this.options.onError?.(
          new RotationGapError(
            `rotated again before it was read: ${rotated.path} (${rotated.size} bytes compressed` +
              `${content !== undefined ? `, ${content} bytes of log` : ""}) was written after the file being read ` +
              "and compressed before it could be opened: its lines were not read",
          ),
          file.path,
        );
        continue;
      }
      const held = this.openRotated(file, rotated, 0);
      if (held) file.retired.push(held);
    }
  }

  /**
   * The log was truncated in place (copytruncate). If we had not read it to its end, the rest is in the copy beside
   * it (same first bytes, at least as long as our position): read from there before the file starts again from 0.
   * With no such copy, what we provably missed (the bytes we had seen and not read) is reported.
   */
  private findTruncatedCopy(file: TailedFile): void {
    if (file.head.length === 0) return;
    const known = this.knownInodes();
    const copies = rotatedSiblings(file.path)
      .filter((rotated) => !rotated.compressed && !known.has(`${rotated.dev}:${rotated.ino}`))
      .filter((rotated) => rotated.size >= file.position && !this.files.has(rotated.path))
      .sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const rotated of copies) {
      const held = this.openRotated(file, rotated, file.position);
      if (!held) continue;
      if (!this.readHead(held, file.head.length).equals(file.head)) {
        closeSync(held.fd!);
        continue;
      }
      // the line begun before the truncation goes on in the copy
      held.partial = file.partial;
      held.skipBefore = new Map(file.skipBefore);
      file.partial = new PartialLine();
      file.retired.push(held);
      return;
    }
    const missed = file.seenSize - file.position;
    if (missed > 0) {
      this.options.onError?.(
        new RotationGapError(
          `truncated (copytruncate) before it was read to its end: at least ${missed} bytes from byte ` +
            `${file.position} were not read (no plain copy of it beside it)`,
        ),
        file.path,
      );
    }
  }

  /** Every inode held: followed files and the rotated ones still being read. */
  private knownInodes(): Set<string> {
    const known = new Set<string>();
    for (const followed of this.files.values()) {
      if (followed.fd !== undefined) known.add(`${followed.dev}:${followed.ino}`);
      for (const old of followed.retired) known.add(`${old.dev}:${old.ino}`);
    }
    return known;
  }

  /** Opens a rotated file to be read for `file`'s log (its lines keep the log's name), from `position`. */
  private openRotated(file: TailedFile, rotated: RotatedFile, position: number): TailedFile | undefined {
    let fd: number | undefined;
    try {
      fd = openSync(rotated.path, "r");
      const stat = fstatSync(fd);
      if (stat.ino !== rotated.ino || stat.dev !== rotated.dev) throw new Error("rotated again meanwhile");
      return {
        ...file,
        fd,
        dev: stat.dev,
        ino: stat.ino,
        position,
        partial: new PartialLine(),
        skipBefore: new Map(),
        head: Buffer.alloc(0),
        seenSize: stat.size,
        retired: [],
      };
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      this.options.onError?.(
        new RotationGapError(
          `rotated again before it was read, and ${rotated.path} cannot be read: ${(error as Error).message}`,
        ),
        file.path,
      );
      return undefined;
    }
  }

  private readHead(file: TailedFile, length: number): Buffer {
    const buffer = Buffer.alloc(length);
    const n = readSync(file.fd!, buffer, 0, length, 0);
    return buffer.subarray(0, n);
  }

  /** Reads what the file holds past our position, within the pass budget; true when its end was reached. */
  private drain(file: TailedFile, final: boolean): boolean {
    const buffer = Buffer.allocUnsafe(chunkSize);
    let budget = this.options.passBudget;
    let ended = false;
    while (budget > 0) {
      const n = readSync(file.fd!, buffer, 0, Math.min(chunkSize, budget), file.position);
      if (n <= 0) {
        ended = true;
        break;
      }
      const chunkStart = file.position;
      file.position += n;
      file.stats.bytesRead += n;
      budget -= n;
      this.deliver(file, buffer.subarray(0, n), chunkStart);
    }
    if (!ended) this.schedule();
    else if (final) {
      // The old file will not grow any more: its unterminated last line is complete.
      this.endPartial(file, Buffer.alloc(0));
      file.partial.clear();
    }
    return ended;
  }

  /** Hands over the complete lines of `chunk` (read at file offset `chunkStart`) and keeps its unterminated end. */
  private deliver(file: TailedFile, chunk: Buffer, chunkStart: number): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline < 0) break;
      if (file.partial.length > 0 || file.partial.skipping) this.endPartial(file, chunk.subarray(start, newline));
      else this.emit(file, chunk.subarray(start, newline), chunkStart + start);
      start = newline + 1;
    }
    if (start < chunk.length && !file.partial.skipping) {
      file.partial.add(chunk.subarray(start), chunkStart + start);
      if (file.partial.length > MAX_LINE_BYTES) this.skipPartial(file);
    }
  }

  /** The line begun in earlier reads ends with `last`: handed over unless it was skipped or is too long. */
  private endPartial(file: TailedFile, last: Buffer): void {
    const partial = file.partial;
    if (partial.skipping) partial.clear();
    else if (partial.length + last.length > MAX_LINE_BYTES) {
      this.skipPartial(file);
      partial.clear();
    } else if (partial.length > 0 || last.length > 0) {
      const start = partial.start;
      this.emit(file, partial.take(last), start);
    }
  }

  /** A line longer than MAX_LINE_BYTES: no log writes one, an attacker can. Reported, and dropped to its newline. */
  private skipPartial(file: TailedFile): void {
    this.options.onError?.(
      new LineTooLongError(`the line at byte ${file.partial.start} is longer than ${MAX_LINE_BYTES} bytes: skipped`),
      file.path,
    );
    file.partial.skip();
  }

  private emit(file: TailedFile, bytes: Buffer, offset: number): void {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    const text = bytes.toString("utf8", 0, end);
    file.stats.lines++;
    // The inode and offset place the line; the text hash tells a copy-truncated file's new line at an old offset.
    const eventId = `${file.ino}:${offset}:${sha1Base64url(bytes.subarray(0, end)).slice(0, 12)}`;
    for (const subscription of file.subscribers) {
      const skip = file.skipBefore.get(subscription);
      if (skip !== undefined && offset < skip) continue;
      subscription.handler({ text, source: file.path, eventId });
    }
  }
}

/**
 * SHA-1 of a line, base64url: the same text as before (event ids stored in a window must stay equal across restarts
 * and upgrades), but Node's one-shot `crypto.hash` (Node 20.12) makes no Hash object per line, about a third cheaper.
 */
const sha1Base64url: (data: Buffer) => string =
  typeof crypto.hash === "function"
    ? (data) => crypto.hash("sha1", data, "base64url")
    : (data) => crypto.createHash("sha1").update(data).digest("base64url");

/** Bytes of an open file past the position read (all of it when truncated below the position); 0 when not open. */
function unreadBytes(file: TailedFile): number {
  if (file.fd === undefined) return 0;
  try {
    const size = fstatSync(file.fd).size;
    return size < file.position ? size : size - file.position;
  } catch {
    return 0;
  }
}

// Finds where to start reading a log so that a restarted daemon sees the last `findtime` seconds again, without
// reading a large file from its beginning: a binary search over byte offsets, on the dates the filter reads.
import { readSync } from "node:fs";

/** Reads the dates of log lines: epoch seconds, or undefined for a line without a recognisable date. */
export type LineTime = (text: string) => number | undefined;

const probe = 16 * 1024;

/** The line found at or after `offset`: its start, its end (after the newline), and its text. */
function lineAt(fd: number, offset: number, size: number): { start: number; end: number; text: string } | undefined {
  let start = offset;
  const buffer = Buffer.alloc(probe);
  if (offset > 0) {
    // Skip the rest of the line `offset` falls in, unless offset is already a line start.
    const got = readSync(fd, buffer, 0, 1, offset - 1);
    if (got === 1 && buffer[0] !== 0x0a) {
      let position = offset;
      for (;;) {
        const n = readSync(fd, buffer, 0, probe, position);
        if (n <= 0) return undefined;
        const newline = buffer.subarray(0, n).indexOf(0x0a);
        if (newline >= 0) {
          start = position + newline + 1;
          break;
        }
        position += n;
      }
    }
  }
  if (start >= size) return undefined;
  const n = readSync(fd, buffer, 0, probe, start);
  const newline = buffer.subarray(0, n).indexOf(0x0a);
  const end = newline >= 0 ? start + newline + 1 : start + n;
  return {
    start,
    end,
    text: buffer
      .subarray(0, end - start)
      .toString("utf8")
      .replace(/\r?\n$/, ""),
  };
}

/** The first line at or after `offset` that carries a date, looking at most a few lines ahead. */
function datedLineAt(fd: number, offset: number, size: number, lineTime: LineTime) {
  let at = offset;
  for (let tries = 0; tries < 32; tries++) {
    const line = lineAt(fd, at, size);
    if (!line) return undefined;
    const time = lineTime(line.text);
    if (time !== undefined) return { ...line, time };
    at = line.end;
  }
  return undefined;
}

/**
 * The byte offset of the first line dated at or after `since` in a file of `size` bytes opened as `fd`.
 * Assumes dates grow through the file, as they do in logs; lines without a date go with the next dated one.
 */
export function offsetSince(fd: number, size: number, since: number, lineTime: LineTime): number {
  let low = 0;
  let high = size;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const line = datedLineAt(fd, middle, size, lineTime);
    if (!line || line.time >= since) {
      if (middle === low) break;
      high = middle;
    } else low = line.end;
  }
  const first = lineAt(fd, low, size);
  return first ? first.start : size;
}

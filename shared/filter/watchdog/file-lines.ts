// Reads the lines of a byte range of a log file, for a filter worker that reads its log itself: no text crosses
// threads on the way in. Lines are split on "\n" in the bytes (a "\r" before it is dropped) and decoded one by one,
// so every line knows its byte offsets, which is what resuming after an abandoned line needs. A run of ASCII lines
// (the usual log) is decoded as one string and its lines are slices of it: far less for the garbage collector.
import { isAscii } from "node:buffer";
import { closeSync, openSync, readSync } from "node:fs";

const CHUNK = 1 << 20;
const NEWLINE = 10;
const RETURN = 13;

/** One line of the range, with where it starts and where the next one starts (byte offsets in the file). */
export interface FileLine {
  text: string;
  start: number;
  next: number;
}

/**
 * Yields the lines of `path` from byte `start` (a line start) up to byte `end` (a line start, or the file's size).
 * A UTF-8 byte-order mark at offset 0 is skipped, as a TextDecoder does. The yielded object is reused: read it before
 * asking for the next line.
 */
export function* fileLines(path: string, start: number, end: number): Generator<FileLine> {
  const fd = openSync(path, "r");
  try {
    let buffer = Buffer.allocUnsafe(CHUNK);
    const line: FileLine = { text: "", start: 0, next: 0 };
    // bytes buffer[0, held) are the file's bytes from offset `base`
    let base = start;
    let held = 0;
    let offset = start;
    let atEnd = false;
    while (!atEnd || held > 0) {
      if (!atEnd) {
        if (held === buffer.length) {
          // a line longer than the buffer: make room for it
          const larger = Buffer.allocUnsafe(buffer.length * 2);
          buffer.copy(larger, 0, 0, held);
          buffer = larger;
        }
        const want = Math.min(buffer.length - held, end - (base + held));
        const n = want > 0 ? readSync(fd, buffer, held, want, base + held) : 0;
        if (n === 0) atEnd = true;
        held += n;
        if (base === 0 && offset === 0 && held >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) {
          offset = 3;
        }
      }
      let from = offset - base;
      // (a negative position would search from the end of the whole buffer)
      const lastNewline = held > 0 ? buffer.lastIndexOf(NEWLINE, held - 1) : -1;
      if (lastNewline >= from && isAscii(buffer.subarray(from, lastNewline))) {
        // one string for all the complete lines: character offsets are byte offsets
        const text = buffer.toString("latin1", from, lastNewline + 1);
        const textBase = base + from;
        let at = 0;
        for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", at)) {
          line.text = text.slice(at, nl > at && text.charCodeAt(nl - 1) === RETURN ? nl - 1 : nl);
          line.start = textBase + at;
          line.next = textBase + nl + 1;
          yield line;
          at = nl + 1;
        }
        from = lastNewline + 1;
      }
      for (let nl = buffer.indexOf(NEWLINE, from); nl >= 0 && nl < held; nl = buffer.indexOf(NEWLINE, from)) {
        const stop = nl > from && buffer[nl - 1] === RETURN ? nl - 1 : nl;
        line.text = buffer.toString("utf8", from, stop);
        line.start = base + from;
        line.next = base + nl + 1;
        yield line;
        from = nl + 1;
      }
      if (atEnd) {
        if (from < held) {
          const stop = buffer[held - 1] === RETURN ? held - 1 : held;
          line.text = buffer.toString("utf8", from, stop);
          line.start = base + from;
          line.next = base + held;
          yield line;
        }
        held = 0;
        break;
      }
      // keep the unfinished line at the front of the buffer
      buffer.copy(buffer, 0, from, held);
      base += from;
      held -= from;
      offset = base;
    }
  } finally {
    closeSync(fd);
  }
}

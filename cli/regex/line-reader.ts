// Reads a log file line by line, synchronously and in large chunks: the fastest way through a big file in Node,
// with one decode per chunk and no per-line allocation beyond the line itself.
import { closeSync, openSync, readSync } from "node:fs";

const CHUNK = 1 << 20;

/** Yields each line of `path` without its terminator ("\n" or "\r\n"), then reports progress in bytes. */
export function* readLines(path: string, onProgress?: (bytesRead: number) => void): Generator<string> {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    const decoder = new TextDecoder("utf-8", { fatal: false });
    let carry = "";
    let total = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      total += n;
      const text = carry + decoder.decode(buffer.subarray(0, n), { stream: true });
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        yield text.slice(start, end);
        start = nl + 1;
      }
      carry = text.slice(start);
      onProgress?.(total);
    }
    carry += decoder.decode();
    if (carry.endsWith("\r")) carry = carry.slice(0, -1);
    if (carry !== "") yield carry;
  } finally {
    closeSync(fd);
  }
}

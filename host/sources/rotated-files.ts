// The files a log rotation leaves beside a log: `auth.log.1`, `auth.log.2.gz` (numbered), `auth.log-20261207`
// (logrotate's dateext). When a log was rotated twice before the tailer looked again, the generation in between was
// never opened: it is one of these, found by name and told apart from older generations by its modification time.
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Compression suffixes logrotate's usual compressors give. */
const COMPRESSED = /\.(?:gz|bz2|xz|zst|lz4|lzma|Z)$/;

/** A file rotation made from a log. */
export interface RotatedFile {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  /** Bytes on disk (compressed when `compressed`). */
  readonly size: number;
  readonly mtimeMs: number;
  readonly compressed: boolean;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The regular files beside `path` named as rotation names them: the log's name, `.` or `-`, digits (a generation
 * number or a date, `-2026-12-07` too), an optional compression suffix. Unreadable entries are left out.
 */
export function rotatedSiblings(path: string): RotatedFile[] {
  const name = basename(path);
  const pattern = new RegExp(`^${escapeRegex(name)}[.-]\\d+(?:[-_]\\d+)*(?:${COMPRESSED.source})?$`);
  let entries: string[];
  try {
    entries = readdirSync(dirname(path));
  } catch {
    return [];
  }
  const found: RotatedFile[] = [];
  for (const entry of entries) {
    if (!pattern.test(entry)) continue;
    const full = join(dirname(path), entry);
    try {
      const stat = statSync(full);
      if (!stat.isFile()) continue;
      found.push({
        path: full,
        dev: stat.dev,
        ino: stat.ino,
        size: stat.size,
        mtimeMs: stat.mtimeMs,
        compressed: COMPRESSED.test(entry),
      });
    } catch {
      // rotated away again meanwhile
    }
  }
  return found;
}

/**
 * The uncompressed size of a gzip file from its trailer (ISIZE, the size modulo 4 GiB), for a report of what was not
 * read; undefined for other formats or an unreadable file.
 */
export function gzipContentSize(file: RotatedFile): number | undefined {
  if (!file.path.endsWith(".gz") || file.size < 18) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(file.path, "r");
    const trailer = Buffer.alloc(4);
    if (readSync(fd, trailer, 0, 4, file.size - 4) !== 4) return undefined;
    return trailer.readUInt32LE(0);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

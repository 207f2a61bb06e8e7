// Multi-line buffers as fail2ban keeps them: each log line split into (text before the date, the date, text after).
// Regexes run against the lines with their dates cut out, joined by "\n"; which buffered lines a match covered
// decides what is reported and what stays buffered.

/** A log line split around its date: `[before, date, after]`; `before + after` is what regexes see. */
export type TupleLine = readonly [before: string, date: string, after: string];

/** A match's span in a buffer text. */
export interface BufferHit {
  readonly start: number;
  readonly end: number;
}

/** The text regexes search: every line without its date, each followed by "\n". */
export function bufferText(lines: readonly TupleLine[]): string {
  let text = "";
  for (const line of lines) text += `${line[0]}${line[2]}\n`;
  return text;
}

/** A whole line again, date included. */
export function joinTupleLine(line: TupleLine): string {
  return `${line[0]}${line[1]}${line[2]}`;
}

function countNewlines(text: string, end: number): number {
  let count = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) count++;
  return count;
}

/**
 * Splits the original buffer into the lines a match covered and the rest, like fail2ban: the covered lines are
 * those from the line where the match starts to the line where it ends, less the lines a `<SKIPLINES>` consumed.
 */
export function splitByMatch(
  text: string,
  hit: BufferHit,
  original: readonly TupleLine[],
  skippedLines: readonly string[],
): { matched: TupleLine[]; unmatched: TupleLine[] } {
  if (original.length <= 1) return { matched: original as TupleLine[], unmatched: [] };
  const lineStart = text.lastIndexOf("\n", hit.start) + 1;
  const endNewline = text.indexOf("\n", Math.max(0, hit.end - 1));
  const lineEnd = endNewline < 0 ? text.length : endNewline + 1;
  const first = countNewlines(text, lineStart);
  const last = countNewlines(text, lineEnd);
  const matched = original.slice(first, last);
  const unmatched = original.slice(0, first);
  let from = 0;
  for (const skipped of skippedLines) {
    for (let m = from; m < matched.length; m++) {
      const candidate = matched[m]!;
      if (`${candidate[0]}${candidate[2]}` === skipped) {
        unmatched.push(candidate);
        matched.splice(m, 1);
        from = m;
        break;
      }
    }
  }
  unmatched.push(...original.slice(last));
  return { matched, unmatched };
}

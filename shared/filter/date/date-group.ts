// fail2ban takes the date as group 1 of the template's match. PyMatch reports named groups only, without positions,
// so the Python source is rewritten before compiling: group 1 gets a name, and when it sits at the top level of the
// pattern everything before it is captured too, which gives its position (match start + prefix length). Adding that
// group shifts Python's group numbers by one, so numeric backreferences are renumbered.

/** Name given to group 1 when it has none. */
export const DATE_GROUP = "_date_";
/** Name of the group holding the text between the match start and group 1. */
export const PREFIX_GROUP = "_prefix_";

/** The rewritten source and how to find the date in a match of it. */
export interface DateGroupPlan {
  /** Python source to compile (leading global flags removed and returned separately). */
  readonly source: string;
  /** Global inline flags found at the start, such as "iu". */
  readonly globalFlags: string;
  /** Group whose text is the date; undefined when the pattern has no group (the whole match is the date). */
  readonly dateGroup: string | undefined;
  /** True when PREFIX_GROUP gives the date's offset in the match; otherwise the date is searched in the match text. */
  readonly prefixed: boolean;
}

interface Scan {
  /** Position of the "(" of group 1 and its nesting depth, or undefined. */
  first?: { index: number; depth: number; name?: string };
  topLevelAlternation: boolean;
  /** Numeric references to renumber: [start, end) of the number, and the number. */
  references: Array<{ start: number; end: number; value: number }>;
}

const LEADING_FLAGS = /^(?:\(\?[a-zA-Z]+\))+/;

function scan(source: string, from: number): Scan {
  const result: Scan = { topLevelAlternation: false, references: [] };
  let depth = 0;
  let i = from;
  while (i < source.length) {
    const ch = source[i];
    if (ch === "\\") {
      const digits = /^[1-9]\d?/.exec(source.slice(i + 1, i + 3));
      if (digits && !/^[0-7]{3}/.test(source.slice(i + 1, i + 4))) {
        result.references.push({ start: i + 1, end: i + 1 + digits[0].length, value: Number(digits[0]) });
        i += 1 + digits[0].length;
      } else {
        i += 2;
      }
    } else if (ch === "[") {
      i++;
      if (source[i] === "^") i++;
      if (source[i] === "]") i++;
      while (i < source.length && source[i] !== "]") i += source[i] === "\\" ? 2 : 1;
      i++;
    } else if (ch === "(") {
      if (source[i + 1] !== "?") {
        result.first ??= { index: i, depth };
        depth++;
        i++;
      } else if (source.startsWith("(?P<", i)) {
        const close = source.indexOf(">", i);
        result.first ??= { index: i, depth, name: source.slice(i + 4, close) };
        depth++;
        i = close + 1;
      } else if (source.startsWith("(?P=", i) || source.startsWith("(?#", i)) {
        i = source.indexOf(")", i) + 1 || source.length;
      } else if (source.startsWith("(?(", i)) {
        const close = source.indexOf(")", i + 3);
        const reference = source.slice(i + 3, close);
        if (/^\d+$/.test(reference)) {
          result.references.push({ start: i + 3, end: close, value: Number(reference) });
        }
        depth++;
        i = close + 1;
      } else {
        depth++;
        i += 2;
      }
    } else if (ch === ")") {
      depth--;
      i++;
    } else {
      if (ch === "|" && depth === 0) result.topLevelAlternation = true;
      i++;
    }
  }
  return result;
}

/** Rewrites a template's Python source so that a PyMatch tells where group 1 (the date) is. */
export function planDateGroup(python: string): DateGroupPlan {
  const flagsText = LEADING_FLAGS.exec(python)?.[0] ?? "";
  const globalFlags = flagsText.replace(/[()?]/g, "");
  let source = python.slice(flagsText.length);
  const found = scan(source, 0);
  const first = found.first;
  if (!first) return { source, globalFlags, dateGroup: undefined, prefixed: false };
  const dateGroup = first.name ?? DATE_GROUP;
  const canPrefix = first.depth === 0 && !found.topLevelAlternation && first.index > 0;
  let out = "";
  let last = 0;
  const edits: Array<{ start: number; end: number; text: string }> = [];
  if (canPrefix) {
    edits.push({ start: 0, end: 0, text: `(?P<${PREFIX_GROUP}>` });
    edits.push({ start: first.index, end: first.index, text: ")" });
    for (const ref of found.references) edits.push({ start: ref.start, end: ref.end, text: String(ref.value + 1) });
  }
  if (first.name === undefined) edits.push({ start: first.index + 1, end: first.index + 1, text: `?P<${DATE_GROUP}>` });
  edits.sort((a, b) => a.start - b.start);
  for (const edit of edits) {
    out += source.slice(last, edit.start) + edit.text;
    last = edit.end;
  }
  source = out + source.slice(last);
  return { source, globalFlags, dateGroup, prefixed: canPrefix };
}

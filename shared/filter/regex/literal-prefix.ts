// A cheap rejection test for anchored regexes: the literal text every match must start with. Most filter lines are
// tried against a dozen failregexes that each begin with a fixed word ("^Failed ", "^Received disconnect"), and a
// `startsWith` is far cheaper than entering the regex engine. Computed from the emitted JavaScript source; any
// construct not understood ends the prefix, so the prefix can only be too short, never wrong.

const QUANTIFIERS = "?*{";

/** Index just past the group that opens at `open` (its matching `)`), or -1; `[...]` and escapes are skipped. */
function groupEnd(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") {
      for (i++; i < source.length && source[i] !== "]"; i++) if (source[i] === "\\") i++;
    } else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i + 1;
  }
  return -1;
}

/** Whether the group spanning [open, end) has an alternative `|` at its own level. */
function hasTopAlternative(source: string, open: number, end: number): boolean {
  let depth = 0;
  for (let i = open; i < end; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") {
      for (i++; i < end && source[i] !== "]"; i++) if (source[i] === "\\") i++;
    } else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 1) return true;
  }
  return false;
}

/** Length of a group opening that only captures or groups (`(?:`, `(?<name>`), or 0 for anything else. */
function plainGroupOpening(source: string, at: number): number {
  if (source.startsWith("(?:", at)) return 3;
  if (source.startsWith("(?<", at) && source[at + 3] !== "=" && source[at + 3] !== "!") {
    const close = source.indexOf(">", at + 3);
    return close < 0 ? 0 : close + 1 - at;
  }
  if (source[at] === "(" && source[at + 1] !== "?") return 1;
  return 0;
}

/**
 * The literal text that every match of the JavaScript regex `source` (flags `flags`) starts with, at the start of
 * the searched text; "" when the regex is not anchored with `^`, ignores case, or starts with anything else.
 */
export function requiredPrefix(source: string, flags: string): string {
  if (flags.includes("i") || flags.includes("m") || !source.startsWith("^")) return "";
  // the top level must have no alternative, or `^` anchors only the first one
  if (hasTopAlternative(`(${source})`, 0, source.length + 2)) return "";
  let prefix = "";
  let i = 1;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === "(") {
      const opening = plainGroupOpening(source, i);
      const end = opening > 0 ? groupEnd(source, i) : -1;
      // enter only a group that must match once, as a whole: not optional, no alternatives
      if (end < 0 || QUANTIFIERS.includes(source[end] ?? "") || hasTopAlternative(source, i, end)) break;
      i += opening;
      continue;
    }
    let literal: string;
    let width: number;
    if (c === "\\") {
      const next = source[i + 1];
      // escaped punctuation is itself; letters and digits are classes, assertions or references
      if (next === undefined || /[0-9A-Za-z]/.test(next)) break;
      literal = next;
      width = 2;
    } else if ("^$.|?*+{}[])".includes(c)) {
      break;
    } else {
      const code = c.charCodeAt(0);
      // a surrogate pair is one character in `u` mode: keep the whole pair or nothing
      if (code >= 0xd800 && code <= 0xdfff) break;
      literal = c;
      width = 1;
    }
    const after = source[i + width];
    if (after !== undefined && QUANTIFIERS.includes(after)) break;
    prefix += literal;
    if (after === "+") break;
    i += width;
  }
  return prefix;
}

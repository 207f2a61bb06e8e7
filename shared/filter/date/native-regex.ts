// The built-in templates are fixed, so they are compiled straight to JavaScript instead of through the general Python
// translator: only the few constructs they use are accepted (anything else throws, so the list cannot drift into
// syntax this converter gets wrong). Word characters follow Python's Unicode rules (letters, digits, underscore),
// not JavaScript's ASCII `\w`, so "éJan 23 ..." is not read as a date, as in fail2ban.
import { compiledRegExp } from "../regex/compile-heartbeat.js";

const WORD = "[\\p{L}\\p{N}_]";
const DIGIT = "\\p{Nd}";
const NON_WORD = "[^\\p{L}\\p{N}_]";
const WORD_BOUNDARY = `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`;
// `(?=^|\b|\W)` and `(?=\b|\W|$)` both fail only between two word characters.
const NOT_INSIDE_WORD = `(?:(?<!${WORD})|(?!${WORD}))`;

/**
 * A built-in template compiled for JavaScript: plain numbered groups, and the Python name of each group number. The
 * RegExp itself is built on first use: building the Unicode classes of the ~50 default templates costs more than a
 * run over a small log, and a log uses one or two of them.
 */
export interface NativeRegex {
  readonly regex: RegExp;
  /** groupNames[n] is the name of group n ("" for unnamed groups and for 0). */
  readonly groupNames: readonly string[];
}

/**
 * Converts the Python source of a built-in template to a JavaScript RegExp (flags g, u, plus i if asked). Named groups
 * become numbered ones (an exec array is cheaper than a groups object). The source must end with group 1 followed
 * only by the zero-width word-end check: the date span is computed from that.
 */
export function compileNative(python: string): NativeRegex {
  let source = python;
  let flags = "gu";
  const global = /^\(\?([a-z]+)\)/.exec(source);
  if (global) {
    for (const flag of global[1]!) {
      if (flag === "i") flags += "i";
      else if (flag !== "u") throw new Error(`built-in date template: unsupported flag ${flag} in ${python}`);
    }
    source = source.slice(global[0].length);
  }
  if (!/\)(?:\(\?=\\b\|\\W\|\$\))?$/.test(source)) {
    throw new Error(`built-in date template: the date group must end the regex in ${python}`);
  }
  source = source.replaceAll("(?=^|\\b|\\W)", "\u0000B").replaceAll("(?=\\b|\\W|$)", "\u0000E");
  const groupNames = [""];
  let out = "";
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === "\u0000") {
      out += NOT_INSIDE_WORD;
      i++;
    } else if (ch === "\\") {
      const next = source[i + 1];
      if (next === "b") out += WORD_BOUNDARY;
      else if (next === "W") out += NON_WORD;
      else if (next === "w") out += WORD;
      else if (next === "d") out += DIGIT;
      else out += ch + next;
      i++;
    } else if (ch === "[") {
      const close = source.indexOf("]", i + 2);
      out += source.slice(i, close + 1);
      i = close;
    } else if (source.startsWith("(?P<", i)) {
      const close = source.indexOf(">", i);
      groupNames.push(source.slice(i + 4, close));
      out += "(";
      i = close;
    } else if (source.startsWith("(?P=", i)) {
      const close = source.indexOf(")", i);
      const number = groupNames.indexOf(source.slice(i + 4, close));
      if (number < 1) throw new Error(`built-in date template: unknown group at ${i} in ${python}`);
      out += `\\${number}`;
      i = close;
    } else if (source.startsWith("(?(", i) || source.startsWith("(?#", i)) {
      throw new Error(`built-in date template: unsupported construct at ${i} in ${python}`);
    } else {
      if (ch === "(" && source[i + 1] !== "?") groupNames.push("");
      out += ch;
    }
  }
  let regex: RegExp | undefined;
  return {
    get regex() {
      regex ??= compiledRegExp(out, flags);
      return regex;
    },
    groupNames,
  };
}

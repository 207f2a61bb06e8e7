// The built-in templates are fixed, so they are compiled straight to JavaScript instead of through the general Python
// translator: only the few constructs they use are accepted (anything else throws, so the list cannot drift into
// syntax this converter gets wrong). Word characters follow Python's Unicode rules (letters, digits, underscore),
// not JavaScript's ASCII `\w`, so "éJan 23 ..." is not read as a date, as in fail2ban.

const WORD = "[\\p{L}\\p{N}_]";
const NON_WORD = "[^\\p{L}\\p{N}_]";
const WORD_BOUNDARY = `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`;
// `(?=^|\b|\W)` and `(?=\b|\W|$)` both fail only between two word characters.
const NOT_INSIDE_WORD = `(?:(?<!${WORD})|(?!${WORD}))`;

/** Converts the Python source of a built-in template to a JavaScript RegExp (flags d, g, u, plus i if asked). */
export function compileNative(python: string): RegExp {
  let source = python;
  let flags = "dgu";
  const global = /^\(\?([a-z]+)\)/.exec(source);
  if (global) {
    for (const flag of global[1]!) {
      if (flag === "i") flags += "i";
      else if (flag !== "u") throw new Error(`built-in date template: unsupported flag ${flag} in ${python}`);
    }
    source = source.slice(global[0].length);
  }
  source = source.replaceAll("(?=^|\\b|\\W)", "\u0000B").replaceAll("(?=\\b|\\W|$)", "\u0000E");
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
      else out += ch + next;
      i++;
    } else if (source.startsWith("(?P<", i)) {
      out += "(?<";
      i += 3;
    } else if (source.startsWith("(?P=", i)) {
      const close = source.indexOf(")", i);
      out += `\\k<${source.slice(i + 4, close)}>`;
      i = close;
    } else if (source.startsWith("(?(", i) || source.startsWith("(?#", i)) {
      throw new Error(`built-in date template: unsupported construct at ${i} in ${python}`);
    } else {
      out += ch;
    }
  }
  return new RegExp(out, flags);
}

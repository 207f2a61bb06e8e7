// Emitted regexes name their groups, but a match of a regex with named groups also builds a `groups` object, which
// V8 keeps in slow dictionary mode: for the prefregex and failregex hit of every log line that is a large part of the
// cost of a match. Running the same regex with its named groups turned into numbered ones gives only the exec array.

/** A regex source with plain numbered groups, and the number each former group name received. */
export interface NumberedGroups {
  readonly source: string;
  readonly numbers: ReadonlyMap<string, number>;
}

/**
 * Turns the named groups of the JavaScript regex `source` (`u` syntax) into numbered ones: `(?<name>` becomes `(`
 * and `\k<name>` a numbered backreference, in a non-capturing group so that a following digit stays a literal.
 * Group numbers follow the order of the opening parentheses, as in JavaScript, so numbered groups keep theirs.
 */
export function numberGroups(source: string): NumberedGroups {
  const numbers = new Map<string, number>();
  // the numbers of the names first: a backreference may come before its group
  let count = 0;
  scan(source, (kind, name) => {
    if (kind === "named") numbers.set(name, ++count);
    else if (kind === "plain") ++count;
  });
  let out = "";
  scan(source, (kind, name, text) => {
    if (kind === "named") out += "(";
    else if (kind === "reference") {
      const number = numbers.get(name);
      if (number === undefined) throw new Error(`backreference to an unknown group ${name}`);
      out += `(?:\\${number})`;
    } else out += text;
  });
  return { source: out, numbers };
}

type Piece = "named" | "plain" | "reference" | "other";

/** Calls `visit` for each piece of `source`: named and plain group openings, named backreferences, anything else. */
function scan(source: string, visit: (kind: Piece, name: string, text: string) => void): void {
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === "\\") {
      if (source[i + 1] === "k" && source[i + 2] === "<") {
        const close = source.indexOf(">", i + 3);
        visit("reference", source.slice(i + 3, close), source.slice(i, close + 1));
        i = close + 1;
      } else {
        visit("other", "", source.slice(i, i + 2));
        i += 2;
      }
    } else if (c === "[") {
      // a class ends at its first unescaped "]", one right after "[" or "[^" included (`u` syntax)
      let j = i + 1;
      if (source[j] === "^") j++;
      while (j < source.length && source[j] !== "]") j += source[j] === "\\" ? 2 : 1;
      visit("other", "", source.slice(i, j + 1));
      i = j + 1;
    } else if (c === "(") {
      if (source[i + 1] !== "?") {
        visit("plain", "", "(");
        i++;
      } else if (source[i + 2] === "<" && source[i + 3] !== "=" && source[i + 3] !== "!") {
        const close = source.indexOf(">", i + 3);
        visit("named", source.slice(i + 3, close), source.slice(i, close + 1));
        i = close + 1;
      } else {
        visit("other", "", "(");
        i++;
      }
    } else {
      visit("other", "", c as string);
      i++;
    }
  }
}

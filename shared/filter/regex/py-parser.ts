// A parser of Python 3.11 `re` syntax (str patterns) into the tree of py-ast.ts. It follows the rules of CPython's
// re/_parser.py (escapes, octal versus group references, `{` that is not a repeat, global flags only at the start,
// scoped flags, conditional groups, atomic groups and possessive repeats) and reports errors with their position.
import type { Capture, Category, PyNode, PyPattern, SetItem } from "./py-ast.js";
import { width } from "./py-ast.js";
import { PythonRegexError } from "./python-regex-error.js";

/** Flags in force while parsing a part of the pattern. */
interface Flags {
  readonly i: boolean;
  readonly m: boolean;
  readonly s: boolean;
  readonly x: boolean;
  readonly a: boolean;
}

/** Flags passed to the parser, like the `flags` argument of re.compile. */
export interface ParseFlags {
  readonly ignoreCase?: boolean;
  readonly multiline?: boolean;
  readonly dotAll?: boolean;
  readonly verbose?: boolean;
  readonly ascii?: boolean;
}

const WHITESPACE = " \t\n\r\v\f";
const OCT = /^[0-7]$/;
const DIGIT = /^[0-9]$/;
const HEX = /^[0-9a-fA-F]$/;
const ASCII_LETTER = /^[a-zA-Z]$/;
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92 };
const CATEGORIES = new Set(["d", "D", "w", "W", "s", "S"]);
const REPEAT_CHARS = "*+?{";
const MAX_REPEAT = 4294967295;

/** Python's str.isidentifier, close enough: a letter or underscore, then letters, digits, marks or underscores. */
function isIdentifier(name: string): boolean {
  return /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u.test(name);
}

class Parser {
  private pos = 0;
  private groups = 1;
  private readonly groupIndex = new Map<string, number>();
  private readonly openGroups = new Set<number>();
  private readonly groupRefPos = new Map<number, number>();
  private globalFlags: Flags;

  constructor(
    private readonly src: string,
    flags: ParseFlags,
  ) {
    this.globalFlags = {
      i: !!flags.ignoreCase,
      m: !!flags.multiline,
      s: !!flags.dotAll,
      x: !!flags.verbose,
      a: !!flags.ascii,
    };
  }

  fail(message: string, index: number): never {
    throw new PythonRegexError(message, this.src, index);
  }

  /** The next "token" like CPython's tokenizer: one code point, or a backslash and the code point after it. */
  private peek(): string | undefined {
    if (this.pos >= this.src.length) return undefined;
    const cp = this.src.codePointAt(this.pos) as number;
    const ch = String.fromCodePoint(cp);
    if (ch !== "\\") return ch;
    const next = this.src.codePointAt(this.pos + 1);
    if (next === undefined) this.fail("bad escape (end of pattern)", this.pos);
    return `\\${String.fromCodePoint(next)}`;
  }

  private get(): string | undefined {
    const tok = this.peek();
    if (tok !== undefined) this.pos += tok.length;
    return tok;
  }

  private match(tok: string): boolean {
    if (this.peek() === tok) {
      this.pos += tok.length;
      return true;
    }
    return false;
  }

  /** Reads up to `n` single characters from `charset` (a test regex). */
  private getWhile(n: number, charset: RegExp): string {
    let out = "";
    for (let k = 0; k < n; k++) {
      const c = this.peek();
      if (c === undefined || !charset.test(c)) break;
      out += c;
      this.pos += c.length;
    }
    return out;
  }

  private getUntil(terminator: string, what: string): string {
    const start = this.pos;
    let out = "";
    for (;;) {
      const c = this.get();
      if (c === undefined) {
        if (!out) this.fail(`missing ${what}`, start);
        this.fail(`missing ${terminator}, unterminated name`, start);
      }
      if (c === terminator) {
        if (!out) this.fail(`missing ${what}`, start);
        return out;
      }
      out += c;
    }
  }

  parse(): PyPattern {
    const root = this.parseSub(this.globalFlags, 0);
    if (this.peek() !== undefined) this.fail("unbalanced parenthesis", this.pos);
    for (const [group, at] of this.groupRefPos) {
      if (group >= this.groups) this.fail(`invalid group reference ${group}`, at);
    }
    return {
      root,
      groupCount: this.groups - 1,
      groupIndex: this.groupIndex,
      globalIgnoreCase: this.globalFlags.i,
    };
  }

  private parseSub(flags: Flags, nested: number): PyNode {
    const branches: PyNode[] = [];
    for (;;) {
      branches.push(this.parseSeq(flags, nested + 1, nested === 0 && branches.length === 0));
      if (!this.match("|")) break;
    }
    return branches.length === 1 ? (branches[0] as PyNode) : { type: "alt", branches };
  }

  private parseSeq(initial: Flags, nested: number, first: boolean): PyNode {
    let flags = initial;
    const items: PyNode[] = [];
    for (;;) {
      const tok = this.peek();
      if (tok === undefined || tok === "|" || tok === ")") break;
      const here = this.pos;
      this.get();
      if (flags.x) {
        if (WHITESPACE.includes(tok)) continue;
        if (tok === "#") {
          for (;;) {
            const c = this.get();
            if (c === undefined || c === "\n") break;
          }
          continue;
        }
      }
      if (tok[0] === "\\" && tok.length > 1) {
        items.push(this.escape(tok, here, flags));
      } else if (tok === "[") {
        items.push(this.parseSet(here, flags));
      } else if (REPEAT_CHARS.includes(tok)) {
        this.parseRepeat(tok, here, items);
      } else if (tok === ".") {
        items.push({ type: "any", dotAll: flags.s });
      } else if (tok === "^") {
        items.push({ type: "assert", kind: "bol", multiline: flags.m, ascii: flags.a });
      } else if (tok === "$") {
        items.push({ type: "assert", kind: "eol", multiline: flags.m, ascii: flags.a });
      } else if (tok === "(") {
        const result = this.parseGroup(here, flags, nested, first && items.length === 0);
        if (result === "global") {
          flags = this.globalFlags;
          continue;
        }
        if (result) items.push(result);
      } else {
        items.push({ type: "char", cp: tok.codePointAt(0) as number, icase: flags.i, asciiCase: flags.a });
      }
    }
    return items.length === 1 ? (items[0] as PyNode) : { type: "seq", items };
  }

  private parseRepeat(tok: string, here: number, items: PyNode[]): void {
    let min: number;
    let max: number;
    if (tok === "?") [min, max] = [0, 1];
    else if (tok === "*") [min, max] = [0, Infinity];
    else if (tok === "+") [min, max] = [1, Infinity];
    else {
      if (this.peek() === "}") {
        items.push({ type: "char", cp: 123, icase: false });
        return;
      }
      const lo = this.getWhile(Infinity, DIGIT);
      let hi = lo;
      if (this.match(",")) hi = this.getWhile(Infinity, DIGIT);
      if (!this.match("}")) {
        items.push({ type: "char", cp: 123, icase: false });
        this.pos = here + 1;
        return;
      }
      min = lo ? Number(lo) : 0;
      max = hi ? Number(hi) : Infinity;
      if (min >= MAX_REPEAT || (max !== Infinity && max >= MAX_REPEAT)) {
        this.fail("the repetition number is too large", here);
      }
      if (max < min) this.fail("min repeat greater than max repeat", here + 1);
    }
    const last = items[items.length - 1];
    if (!last || last.type === "assert") this.fail("nothing to repeat", here);
    // A repeat right after a repeat; `(?:a*)*` is fine because the group is still a node here.
    if (last.type === "repeat") this.fail("multiple repeat", here);
    let mode: "greedy" | "lazy" | "possessive" = "greedy";
    if (this.match("?")) mode = "lazy";
    else if (this.match("+")) mode = "possessive";
    let body: PyNode = last;
    // A non-capturing group under a repeat is only a bracket (its flags already sit on its leaves).
    if (body.type === "group" && !body.capture) body = body.body;
    items[items.length - 1] = { type: "repeat", min, max, mode, body };
  }

  private parseGroup(start: number, flags: Flags, nested: number, atStart: boolean): PyNode | "global" | null {
    let capture = true;
    let atomic = false;
    let name: string | undefined;
    let inner = flags;
    if (this.match("?")) {
      const ch = this.get();
      if (ch === undefined) this.fail("unexpected end of pattern", this.pos);
      if (ch === "P") {
        if (this.match("<")) {
          const at = this.pos;
          name = this.getUntil(">", "group name");
          if (!isIdentifier(name)) this.fail(`bad character in group name '${name}'`, at);
        } else if (this.match("=")) {
          const at = this.pos;
          const ref = this.getUntil(")", "group name");
          if (!isIdentifier(ref)) this.fail(`bad character in group name '${ref}'`, at);
          const gid = this.groupIndex.get(ref);
          if (gid === undefined) this.fail(`unknown group name '${ref}'`, at);
          if (this.openGroups.has(gid)) this.fail("cannot refer to an open group", at);
          return { type: "backref", group: gid, icase: flags.i, pos: start };
        } else {
          const c = this.get();
          if (c === undefined) this.fail("unexpected end of pattern", this.pos);
          this.fail(`unknown extension ?P${c}`, start + 1);
        }
      } else if (ch === ":") {
        capture = false;
      } else if (ch === "#") {
        for (;;) {
          const c = this.get();
          if (c === undefined) this.fail("missing ), unterminated comment", start);
          if (c === ")") return null;
        }
      } else if (ch === "=" || ch === "!" || ch === "<") {
        let kind = ch;
        const behind = ch === "<";
        if (behind) {
          const c = this.get();
          if (c === undefined) this.fail("unexpected end of pattern", this.pos);
          if (c !== "=" && c !== "!") this.fail(`unknown extension ?<${c}`, start + 1);
          kind = c;
        }
        const body = this.parseSub(flags, nested + 1);
        if (!this.match(")")) this.fail("missing ), unterminated subpattern", start);
        if (behind) {
          const [lo, hi] = width(body);
          if (lo !== hi) this.fail("look-behind requires fixed-width pattern", start);
        }
        return { type: "look", behind, negate: kind === "!", body };
      } else if (ch === "(") {
        return this.parseCond(start, flags, nested);
      } else if (ch === ">") {
        capture = false;
        atomic = true;
      } else if ("aiLmsux-".includes(ch)) {
        const parsed = this.parseFlags(ch, flags, start);
        if (parsed === "global") {
          if (!atStart) this.fail("global flags not at the start of the expression", start);
          return "global";
        }
        inner = parsed;
        capture = false;
      } else {
        this.fail(`unknown extension ?${ch}`, start + 1);
      }
    }
    let cap: Capture | undefined;
    if (capture) {
      const index = this.groups++;
      if (name !== undefined) {
        const was = this.groupIndex.get(name);
        if (was !== undefined) {
          this.fail(`redefinition of group name '${name}' as group ${index}; was group ${was}`, start + 4);
        }
        this.groupIndex.set(name, index);
      }
      cap = name === undefined ? { index } : { index, name };
      this.openGroups.add(index);
    }
    const body = this.parseSub(inner, nested + 1);
    if (!this.match(")")) this.fail("missing ), unterminated subpattern", start);
    if (cap) this.openGroups.delete(cap.index);
    if (atomic) return { type: "atomic", body };
    return cap ? { type: "group", capture: cap, body } : { type: "group", body };
  }

  private parseCond(start: number, flags: Flags, nested: number): PyNode {
    const at = this.pos;
    const ref = this.getUntil(")", "group name");
    let group: number;
    if (isIdentifier(ref)) {
      const gid = this.groupIndex.get(ref);
      if (gid === undefined) this.fail(`unknown group name '${ref}'`, at);
      group = gid;
    } else {
      if (!/^[0-9]+$/.test(ref)) this.fail(`bad character in group name '${ref}'`, at);
      group = Number(ref);
      if (group === 0) this.fail("bad group number", at);
      if (!this.groupRefPos.has(group)) this.groupRefPos.set(group, at);
    }
    const yes = this.parseSeq(flags, nested + 1, false);
    let no: PyNode | null = null;
    if (this.match("|")) {
      no = this.parseSeq(flags, nested + 1, false);
      if (this.peek() === "|") this.fail("conditional backref with more than two branches", this.pos);
    }
    if (!this.match(")")) this.fail("missing ), unterminated subpattern", start);
    return { type: "cond", group, yes, no, pos: start };
  }

  private parseFlags(first: string, flags: Flags, start: number): Flags | "global" {
    const add = new Set<string>();
    const del = new Set<string>();
    let ch: string | undefined = first;
    if (ch !== "-") {
      for (;;) {
        if (ch === "L") this.fail("bad inline flags: cannot use 'L' flag with a str pattern", this.pos);
        add.add(ch as string);
        if (add.has("a") && add.has("u")) {
          this.fail("bad inline flags: flags 'a', 'u' and 'L' are incompatible", this.pos);
        }
        ch = this.get();
        if (ch === undefined) this.fail("missing -, : or )", this.pos);
        if (ch === ")" || ch === "-" || ch === ":") break;
        if (!"aiLmsux".includes(ch)) {
          this.fail(/\p{L}/u.test(ch) ? "unknown flag" : "missing -, : or )", this.pos - ch.length);
        }
      }
    }
    if (ch === ")") {
      this.globalFlags = {
        i: this.globalFlags.i || add.has("i"),
        m: this.globalFlags.m || add.has("m"),
        s: this.globalFlags.s || add.has("s"),
        x: this.globalFlags.x || add.has("x"),
        a: this.globalFlags.a || add.has("a"),
      };
      return "global";
    }
    if (ch === "-") {
      ch = this.get();
      if (ch === undefined) this.fail("missing flag", this.pos);
      if (!"aiLmsux".includes(ch)) this.fail(/\p{L}/u.test(ch) ? "unknown flag" : "missing flag", this.pos - 1);
      for (;;) {
        if ("aLu".includes(ch as string)) {
          this.fail("bad inline flags: cannot turn off flags 'a', 'u' and 'L'", this.pos);
        }
        del.add(ch as string);
        ch = this.get();
        if (ch === undefined) this.fail("missing :", this.pos);
        if (ch === ":") break;
        if (!"aiLmsux".includes(ch)) this.fail(/\p{L}/u.test(ch) ? "unknown flag" : "missing :", this.pos - 1);
      }
    }
    for (const f of add) if (del.has(f)) this.fail("bad inline flags: flag turned on and off", this.pos - 1);
    // CPython 3.11 applies a scoped type flag to some constructs and not others (in (?a:...), \w and \W both
    // fail on "é"): refused rather than guessed.
    if ((add.has("a") && !this.globalFlags.a) || (add.has("u") && this.globalFlags.a)) {
      this.fail("a scoped type flag (?a:...) or (?u:...) is not supported", start);
    }
    const pick = (f: "i" | "m" | "s" | "x") => (add.has(f) ? true : del.has(f) ? false : flags[f]);
    return { i: pick("i"), m: pick("m"), s: pick("s"), x: pick("x"), a: add.has("a") ? true : flags.a };
  }

  private parseSet(start: number, flags: Flags): PyNode {
    const items: SetItem[] = [];
    const negate = this.match("^");
    for (;;) {
      const itemStart = this.pos;
      const tok = this.get();
      if (tok === undefined) this.fail("unterminated character set", start);
      if (tok === "]" && this.pos - tok.length > start + (negate ? 2 : 1)) break;
      const first = tok.length > 1 && tok[0] === "\\" ? this.classEscape(tok, itemStart) : charItem(tok);
      if (this.match("-")) {
        const thatStart = this.pos;
        const that = this.get();
        if (that === undefined) this.fail("unterminated character set", start);
        if (that === "]") {
          items.push(first, { kind: "char", cp: 45 });
          break;
        }
        const second = that.length > 1 && that[0] === "\\" ? this.classEscape(that, thatStart) : charItem(that);
        if (first.kind !== "char" || second.kind !== "char" || second.cp < first.cp) {
          this.fail(`bad character range ${tok}-${that}`, itemStart);
        }
        items.push({ kind: "range", lo: first.cp, hi: second.cp });
      } else {
        items.push(first);
      }
    }
    // CPython 3.11 takes the categories of a set from the global type flag; case folding follows the scope.
    return { type: "set", negate, items, icase: flags.i, ascii: this.globalFlags.a, asciiCase: flags.a };
  }

  private classEscape(tok: string, at: number): SetItem {
    const c = tok.slice(1);
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) return { kind: "char", cp: simple };
    if (CATEGORIES.has(c)) return { kind: "category", cat: c as Category };
    const hex = this.hexEscape(c, tok, at);
    if (hex !== undefined) return { kind: "char", cp: hex };
    if (OCT.test(c)) {
      const digits = c + this.getWhile(2, OCT);
      const cp = Number.parseInt(digits, 8);
      if (cp > 0o377) this.fail(`octal escape value \\${digits} outside of range 0-0o377`, at);
      return { kind: "char", cp };
    }
    if (DIGIT.test(c) || ASCII_LETTER.test(c)) this.fail(`bad escape ${tok}`, at);
    return { kind: "char", cp: c.codePointAt(0) as number };
  }

  /** `\xhh`, `\uhhhh`, `\Uhhhhhhhh`; `\N{...}` is refused (no Unicode name table here). */
  private hexEscape(c: string, tok: string, at: number): number | undefined {
    const lengths: Record<string, number> = { x: 2, u: 4, U: 8 };
    const n = lengths[c];
    if (n !== undefined) {
      const digits = this.getWhile(n, HEX);
      if (digits.length !== n) this.fail(`incomplete escape ${tok}${digits}`, at);
      const cp = Number.parseInt(digits, 16);
      if (cp > 0x10ffff) this.fail(`bad escape ${tok}${digits}`, at);
      return cp;
    }
    if (c === "N") this.fail("named Unicode escapes \\N{...} are not supported", at);
    return undefined;
  }

  private escape(tok: string, at: number, flags: Flags): PyNode {
    const c = tok.slice(1);
    // A scoped (?a:...) or (?u:...) does not change \w \d \s in CPython 3.11: only the global type flag does.
    if (CATEGORIES.has(c)) return { type: "category", cat: c as Category, ascii: this.globalFlags.a };
    const asserts: Record<string, "start" | "end" | "wordb" | "nonwordb"> = {
      A: "start",
      Z: "end",
      b: "wordb",
      B: "nonwordb",
    };
    const kind = asserts[c];
    if (kind) return { type: "assert", kind, multiline: flags.m, ascii: flags.a };
    const lit = (cp: number): PyNode => ({ type: "char", cp, icase: flags.i, asciiCase: flags.a });
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined && c !== "b") return lit(simple);
    const hex = this.hexEscape(c, tok, at);
    if (hex !== undefined) return lit(hex);
    if (c === "0") return lit(Number.parseInt(c + this.getWhile(2, OCT), 8));
    if (DIGIT.test(c)) {
      let digits = c;
      const next = this.peek();
      if (next !== undefined && DIGIT.test(next)) {
        this.get();
        digits += next;
        const third = this.peek();
        if (OCT.test(c) && OCT.test(next) && third !== undefined && OCT.test(third)) {
          this.get();
          digits += third;
          const cp = Number.parseInt(digits, 8);
          if (cp > 0o377) this.fail(`octal escape value \\${digits} outside of range 0-0o377`, at);
          return lit(cp);
        }
      }
      const group = Number(digits);
      if (group >= this.groups) this.fail(`invalid group reference ${group}`, at + 1);
      if (this.openGroups.has(group)) this.fail("cannot refer to an open group", at);
      return { type: "backref", group, icase: flags.i, pos: at };
    }
    if (ASCII_LETTER.test(c)) this.fail(`bad escape ${tok}`, at);
    return lit(c.codePointAt(0) as number);
  }
}

function charItem(tok: string): SetItem {
  return { kind: "char", cp: tok.codePointAt(0) as number };
}

/** Parses a Python `re` pattern; throws PythonRegexError (with the position) where CPython 3.11 would refuse it. */
export function parsePython(pattern: string, flags: ParseFlags = {}): PyPattern {
  return new Parser(pattern, flags).parse();
}

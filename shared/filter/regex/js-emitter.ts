// Emits JavaScript RegExp source (for the `u` flag) from a Python pattern tree without conditionals.
//
// Why the `u` flag: Python 3's `\w`, `\d` and `\s` are Unicode-aware, which JavaScript can only say with `\p{...}`
// (u mode); `.` and classes then match whole code points like Python does on str; and u mode rejects the sloppy
// escapes that would otherwise change meaning silently, so a bug in this emitter fails loudly at compile time.
// Python's anchors and `.` are emitted explicitly (no JavaScript `m` or `s` flag) because their meaning differs:
// Python's `$` also matches before a final "\n", and only "\n" ends a line in Python.
import { autoPossessive } from "./auto-possessive.js";
import { casedInRange, caseVariants, JS_FOLD_GAPS } from "./case-folding.js";
import type { Category, PyNode, SetItem } from "./py-ast.js";

/** Thrown for the few constructs the emitter cannot express; `pos` is the position in the pattern when known. */
export class EmitError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/** What the emitter produced. */
export interface Emitted {
  readonly source: string;
  /** True when the whole pattern is case-insensitive and the JavaScript `i` flag does the work. */
  readonly ignoreCaseFlag: boolean;
  /** Python group number to the JavaScript group names that may hold its value (copies made by expansion). */
  readonly aliases: ReadonlyMap<number, readonly string[]>;
}

const UNICODE_WORD = "\\p{L}\\p{N}_";
const UNICODE_SPACE = "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const ASCII_SPACE = " \\t-\\r";
const SYNTAX = new Set("^$\\.*+?()[]{}|/");

/** A category as class content, and whether it is the complement of that content. */
function categoryClass(cat: Category, ascii: boolean): { readonly body: string; readonly negated: boolean } {
  switch (cat) {
    case "d":
      return { body: ascii ? "0-9" : "\\p{Nd}", negated: false };
    case "D":
      return { body: ascii ? "0-9" : "\\p{Nd}", negated: true };
    case "w":
      return { body: ascii ? "a-zA-Z0-9_" : UNICODE_WORD, negated: false };
    case "W":
      return { body: ascii ? "a-zA-Z0-9_" : UNICODE_WORD, negated: true };
    case "s":
      return { body: ascii ? ASCII_SPACE : UNICODE_SPACE, negated: false };
    case "S":
      return { body: ascii ? ASCII_SPACE : UNICODE_SPACE, negated: true };
  }
}

function hex(cp: number): string {
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, "0")}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, "0")}`;
  return `\\u{${cp.toString(16)}}`;
}

/** A code point outside a class. */
function literal(cp: number): string {
  if (cp >= 0x20 && cp < 0x7f) {
    const ch = String.fromCharCode(cp);
    return SYNTAX.has(ch) ? `\\${ch}` : ch;
  }
  return hex(cp);
}

/** A code point inside a class. */
function classLiteral(cp: number): string {
  if (cp >= 0x20 && cp < 0x7f) {
    const ch = String.fromCharCode(cp);
    return "\\]-^[".includes(ch) ? `\\${ch}` : ch;
  }
  return hex(cp);
}

/** Sorted, merged ranges as class content. */
function rangesToClass(ranges: Array<[number, number]>): string {
  ranges.sort((a, b) => a[0] - b[0]);
  let out = "";
  let cur: [number, number] | undefined;
  const flush = () => {
    if (!cur) return;
    const [lo, hi] = cur;
    if (lo === hi) out += classLiteral(lo);
    else if (hi === lo + 1) out += classLiteral(lo) + classLiteral(hi);
    else out += `${classLiteral(lo)}-${classLiteral(hi)}`;
  };
  for (const r of ranges) {
    if (cur && r[0] <= cur[1] + 1) cur[1] = Math.max(cur[1], r[1]);
    else {
      flush();
      cur = [r[0], r[1]];
    }
  }
  flush();
  return out;
}

/** Precedence of an emitted piece: can it take a quantifier, be concatenated, or does it need brackets. */
type Prec = "atom" | "assert" | "seq" | "alt";

interface Piece {
  readonly src: string;
  readonly prec: Prec;
}

class Emitter {
  private hidden = 0;
  readonly aliases = new Map<number, string[]>();

  constructor(
    private readonly jsIgnoreCase: boolean,
    private readonly referenced: ReadonlySet<number>,
  ) {}

  private wordTest(cp: number, ascii: boolean): boolean {
    return ascii ? /[a-zA-Z0-9_]/.test(String.fromCodePoint(cp)) : /[\p{L}\p{N}_]/u.test(String.fromCodePoint(cp));
  }

  /** Whether the first character `node` can match is certainly a word character (true), certainly not (false). */
  private edge(node: PyNode | undefined, first: boolean, ascii: boolean): boolean | undefined {
    if (!node) return undefined;
    switch (node.type) {
      case "char":
        return this.wordTest(node.cp, ascii);
      case "group":
        return this.edge(node.body, first, ascii);
      case "seq": {
        const item = first ? node.items[0] : node.items[node.items.length - 1];
        return this.edge(item, first, ascii);
      }
      case "repeat":
        return node.min >= 1 ? this.edge(node.body, first, ascii) : undefined;
      case "category":
        if (node.ascii !== ascii) return undefined;
        return node.cat === "w" ? true : node.cat === "W" ? false : node.cat === "d" ? true : undefined;
      default:
        return undefined;
    }
  }

  private wordBoundary(negate: boolean, ascii: boolean, prev: PyNode | undefined, next: PyNode | undefined): string {
    // CPython's \B never matches in an empty string; JavaScript's does.
    if (ascii && !this.jsIgnoreCase) return negate ? "(?!^$)\\B" : "\\b";
    const w = ascii ? "[a-zA-Z0-9_]" : `[${UNICODE_WORD}]`;
    const after = this.edge(next, true, ascii);
    const before = this.edge(prev, false, ascii);
    // Known neighbours turn the two-sided test into one lookaround.
    if (after !== undefined) {
      if (negate) return after ? `(?<=${w})` : `(?<!${w})`;
      return after ? `(?<!${w})` : `(?<=${w})`;
    }
    if (before !== undefined) {
      if (negate) return before ? `(?=${w})` : `(?!${w})`;
      return before ? `(?!${w})` : `(?=${w})`;
    }
    return negate ? `(?!^$)(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))` : `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`;
  }

  private charPiece(cp: number, icase: boolean, asciiCase: boolean): string {
    if (icase && asciiCase) {
      const isLetter = (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
      return isLetter ? `[${classLiteral(cp & ~32)}${classLiteral(cp | 32)}]` : literal(cp);
    }
    if (icase && this.jsIgnoreCase && JS_FOLD_GAPS.has(cp)) return `[${[...JS_FOLD_GAPS].map(classLiteral).join("")}]`;
    if (!icase || this.jsIgnoreCase) return literal(cp);
    const variants = caseVariants(cp);
    if (variants.length === 1) return literal(cp);
    return `[${variants.map(classLiteral).join("")}]`;
  }

  private setPiece(node: PyNode & { type: "set" }): string {
    const ranges: Array<[number, number]> = [];
    let extra = "";
    const complements: string[] = [];
    const expand = node.icase && !this.jsIgnoreCase;
    const asciiCase = node.asciiCase ?? false;
    const variantsOf = (cp: number): readonly number[] => {
      if (!asciiCase) return caseVariants(cp);
      const isLetter = (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
      return isLetter ? [cp & ~32, cp | 32] : [cp];
    };
    const addChar = (cp: number) => {
      if (expand) for (const v of variantsOf(cp)) ranges.push([v, v]);
      else ranges.push([cp, cp]);
    };
    for (const item of node.items as SetItem[]) {
      if (item.kind === "char") addChar(item.cp);
      else if (item.kind === "range") {
        ranges.push([item.lo, item.hi]);
        if (expand) for (const cp of asciiCase ? [] : casedInRange(item.lo, item.hi)) addChar(cp);
        if (expand && asciiCase) {
          for (let cp = Math.max(item.lo, 65); cp <= Math.min(item.hi, 122); cp++) addChar(cp);
        }
      } else {
        const c = categoryClass(item.cat, node.ascii);
        if (!c.negated) extra += c.body;
        else if (item.cat === "D" && !node.ascii) extra += "\\P{Nd}";
        else complements.push(c.body);
      }
    }
    if (
      node.icase &&
      this.jsIgnoreCase &&
      ranges.some(([lo, hi]) => [...JS_FOLD_GAPS].some((g) => g >= lo && g <= hi))
    ) {
      for (const g of JS_FOLD_GAPS) ranges.push([g, g]);
    }
    const body = rangesToClass(ranges) + extra;
    if (!node.negate) {
      const parts = body ? [`[${body}]`] : [];
      for (const c of complements) parts.push(`[^${c}]`);
      if (parts.length === 0) return "(?!)";
      return parts.length === 1 ? (parts[0] as string) : `(?:${parts.join("|")})`;
    }
    if (complements.length === 0) return body ? `[^${body}]` : "[^]";
    // [^x\W] is "a word character that is not x": lookaheads for all but the last positive part.
    let out = body ? `(?![${body}])` : "";
    complements.forEach((c, k) => {
      out += k === complements.length - 1 ? `[${c}]` : `(?=[${c}])`;
    });
    return out;
  }

  private jsName(capture: { index: number; name?: string; alias?: string }): string {
    const name = capture.alias ?? capture.name ?? `$${capture.index}`;
    let list = this.aliases.get(capture.index);
    if (!list) {
      list = [];
      this.aliases.set(capture.index, list);
    }
    if (!list.includes(name)) list.push(name);
    return name;
  }

  private wrap(p: Piece): string {
    return p.prec === "atom" ? p.src : `(?:${p.src})`;
  }

  private quantifier(min: number, max: number): string {
    if (min === 1 && max === 1) return "";
    if (min === 0 && max === Infinity) return "*";
    if (min === 1 && max === Infinity) return "+";
    if (min === 0 && max === 1) return "?";
    if (max === Infinity) return `{${min},}`;
    if (min === max) return `{${min}}`;
    return `{${min},${max}}`;
  }

  /** Emulates an atomic group: a lookahead captures what the body matches first, the backreference consumes it. */
  private atomic(src: string): string {
    const name = `$a${++this.hidden}`;
    return `(?=(?<${name}>${src}))\\k<${name}>`;
  }

  emit(node: PyNode, prev?: PyNode, next?: PyNode): Piece {
    switch (node.type) {
      case "seq": {
        if (node.items.length === 0) return { src: "", prec: "seq" };
        if (node.items.length === 1) return this.emit(node.items[0] as PyNode, prev, next);
        let src = "";
        node.items.forEach((item, k) => {
          const p = this.emit(item, node.items[k - 1] ?? prev, node.items[k + 1] ?? next);
          src += p.prec === "alt" ? `(?:${p.src})` : p.src;
        });
        return { src, prec: "seq" };
      }
      case "alt":
        return { src: node.branches.map((b) => this.emit(b, prev, next).src).join("|"), prec: "alt" };
      case "char":
        return { src: this.charPiece(node.cp, node.icase, node.asciiCase ?? false), prec: "atom" };
      case "any":
        return { src: node.dotAll ? "[^]" : "[^\\n]", prec: "atom" };
      case "set": {
        const src = this.setPiece(node);
        return { src, prec: src.startsWith("(?!") || src.startsWith("(?=") ? "seq" : "atom" };
      }
      case "category": {
        const c = categoryClass(node.cat, node.ascii);
        if (node.ascii && !this.jsIgnoreCase && "dDwW".includes(node.cat))
          return { src: `\\${node.cat}`, prec: "atom" };
        if (node.cat === "d" && !node.ascii) return { src: "\\p{Nd}", prec: "atom" };
        if (node.cat === "D" && !node.ascii) return { src: "\\P{Nd}", prec: "atom" };
        return { src: c.negated ? `[^${c.body}]` : `[${c.body}]`, prec: "atom" };
      }
      case "assert":
        switch (node.kind) {
          case "start":
            return { src: "^", prec: "assert" };
          case "end":
            return { src: "$", prec: "assert" };
          case "bol":
            return { src: node.multiline ? "(?<![^\\n])" : "^", prec: "assert" };
          case "eol":
            return { src: node.multiline ? "(?![^\\n])" : "(?=\\n?$)", prec: "assert" };
          case "wordb":
            return { src: this.wordBoundary(false, node.ascii, prev, next), prec: "assert" };
          case "nonwordb":
            return { src: this.wordBoundary(true, node.ascii, prev, next), prec: "assert" };
        }
        break;
      case "group": {
        const body = this.emit(node.body, prev, next);
        if (!node.capture || (node.capture.name === undefined && !this.referenced.has(node.capture.index))) {
          return body;
        }
        return { src: `(?<${this.jsName(node.capture)}>${body.src})`, prec: "atom" };
      }
      case "look": {
        const body = this.emit(node.body);
        const op = `${node.behind ? "<" : ""}${node.negate ? "!" : "="}`;
        return { src: `(?${op}${body.src})`, prec: "assert" };
      }
      case "atomic":
        return { src: this.atomic(this.emit(node.body).src), prec: "seq" };
      case "repeat": {
        const body = this.wrap(this.emit(node.body));
        const q = this.quantifier(node.min, node.max);
        if (node.mode === "possessive") return { src: this.atomic(body + q), prec: "seq" };
        // "seq": a quantified piece cannot take another quantifier without brackets.
        return { src: body + q + (node.mode === "lazy" && q !== "" ? "?" : ""), prec: q === "" ? "atom" : "seq" };
      }
      case "backref": {
        if (node.icase && !this.jsIgnoreCase) {
          throw new EmitError("a case-insensitive backreference inside a scoped (?i:...) is not supported", node.pos);
        }
        // Every copy of the group: only one of them can be set, the others match the empty string.
        const names = this.aliases.get(node.group) ?? [];
        if (names.length === 0) throw new EmitError("backreference to a group that is never captured", node.pos);
        const src = names.map((n) => `\\k<${n}>`).join("");
        return { src, prec: names.length === 1 ? "atom" : "seq" };
      }
      case "cond":
        throw new EmitError("internal: conditional left after expansion", node.pos);
    }
    throw new EmitError("internal: unknown node", 0);
  }
}

/** Decides whether the JavaScript `i` flag can stand for IGNORECASE: only when no case-sensitive letter exists. */
function canUseIgnoreCaseFlag(root: PyNode): boolean {
  let someIcase = false;
  let someCaseSensitive = false;
  const visit = (n: PyNode): void => {
    switch (n.type) {
      case "char":
      case "set":
      case "backref":
        if (n.icase) someIcase = true;
        else someCaseSensitive = true;
        // JavaScript's `i` folds Unicode (K to k): ASCII-only folding and ASCII classes need exact classes.
        if (n.type !== "backref" && (n.asciiCase || (n.type === "set" && n.ascii))) someCaseSensitive = true;
        return;
      case "category":
      case "assert":
        if (n.ascii) someCaseSensitive = true;
        return;
      case "seq":
        n.items.forEach(visit);
        return;
      case "alt":
        n.branches.forEach(visit);
        return;
      case "group":
      case "look":
      case "atomic":
      case "repeat":
        visit(n.body);
        return;
      case "cond":
        visit(n.yes);
        if (n.no) visit(n.no);
        return;
      default:
        return;
    }
  };
  visit(root);
  return someIcase && !someCaseSensitive;
}

const ASCII_SPACE_LIST = [9, 10, 11, 12, 13, 32];
const UNICODE_SPACE_LIST = [
  ...ASCII_SPACE_LIST,
  0x1c,
  0x1d,
  0x1e,
  0x1f,
  0x85,
  0xa0,
  0x1680,
  ...Array.from({ length: 11 }, (_, k) => 0x2000 + k),
  0x2028,
  0x2029,
  0x202f,
  0x205f,
  0x3000,
];

function rangeList(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
}

/** Every character a single-character node can match, when that list is short and exact (else undefined). */
function listChars(node: PyNode): number[] | undefined {
  const variants = (cps: number[], icase: boolean) => (icase ? cps.flatMap((cp) => [...caseVariants(cp)]) : cps);
  const category = (cat: string, ascii: boolean): number[] | undefined => {
    if (cat === "s") return ascii ? ASCII_SPACE_LIST : UNICODE_SPACE_LIST;
    if (cat === "d" && ascii) return rangeList(48, 57);
    if (cat === "w" && ascii) return [...rangeList(48, 57), ...rangeList(65, 90), 95, ...rangeList(97, 122)];
    return undefined;
  };
  switch (node.type) {
    case "char":
      return variants([node.cp], node.icase);
    case "category":
      return category(node.cat, node.ascii);
    case "set": {
      if (node.negate) return undefined;
      const out: number[] = [];
      for (const item of node.items) {
        if (item.kind === "char") out.push(item.cp);
        else if (item.kind === "range") {
          if (item.hi - item.lo > 4096) return undefined;
          out.push(...rangeList(item.lo, item.hi));
        } else {
          const list = category(item.cat, node.ascii);
          if (!list) return undefined;
          out.push(...list);
        }
        if (out.length > 4096) return undefined;
      }
      return variants(out, node.icase);
    }
    default:
      return undefined;
  }
}

/** Emitter options. */
export interface EmitOptions {
  /** Make provably safe character runs possessive (default true). */
  readonly possessive?: boolean;
}

/** Emits JavaScript source for `root` (a tree without conditionals). */
export function emitJs(root: PyNode, options: EmitOptions = {}): Emitted {
  const referenced = new Set<number>();
  const visit = (n: PyNode): void => {
    if (n.type === "backref") referenced.add(n.group);
    else if (n.type === "seq") n.items.forEach(visit);
    else if (n.type === "alt") n.branches.forEach(visit);
    else if (n.type === "group" || n.type === "look" || n.type === "atomic" || n.type === "repeat") visit(n.body);
  };
  visit(root);
  const ignoreCaseFlag = canUseIgnoreCaseFlag(root);
  const emitter = new Emitter(ignoreCaseFlag, referenced);
  const tree =
    options.possessive === false
      ? root
      : autoPossessive(root, (n) => emitter.emit(n).src, `u${ignoreCaseFlag ? "i" : ""}`, listChars);
  const { src } = emitter.emit(tree);
  return { source: src, ignoreCaseFlag, aliases: emitter.aliases };
}

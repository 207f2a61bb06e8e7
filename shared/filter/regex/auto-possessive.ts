// Safe auto-possessification: a greedy run of single characters `C*` whose characters cannot start anything that
// may follow it never gains from giving characters back, so it is made possessive (emitted as an atomic group).
// This is what stops exponential backtracking in patterns such as fail2ban's rfc5424 prefix
// `(?:\[(?:[^\]"]*|"[^"]*")*\])+` on a line that does not match.
//
// Two rules, both semantics-preserving (same first match, same groups):
//  1. `C*` (or `C+`, `C{n,}`), greedy, where no character of C can start what follows it (its follow set).
//  2. A branch that is exactly `C*` inside a greedy unbounded repeat `(?:C*|B1|B2)*`: the next iteration may start
//     with C again, but that only continues the same run, which the greedy first try already covered; so it is
//     enough that C cannot start B1, B2, ... nor what follows the outer repeat.
// The follow set of the end of the pattern and of a lookahead body is empty: nothing there can backtrack into the
// run. Lookbehinds (matched backwards by JavaScript) and anything unclear are left alone.
import type { Category, PyNode } from "./py-ast.js";

/** A single-character matcher: a predicate, and the characters it holds when they are few enough to list. */
interface CharClass {
  readonly test: (cp: number) => boolean;
  readonly list?: readonly number[];
  readonly cat?: { readonly cat: Category; readonly ascii: boolean };
}

/** What can come next: single-character matchers, or `any` when unknown. */
interface FirstSet {
  readonly classes: readonly CharClass[];
  readonly nullable: boolean;
  readonly any: boolean;
}

const NOTHING: FirstSet = { classes: [], nullable: false, any: false };
const UNKNOWN: FirstSet = { classes: [], nullable: false, any: true };
const MAX_LIST = 4096;

function union(a: FirstSet, b: FirstSet): FirstSet {
  return { classes: [...a.classes, ...b.classes], nullable: a.nullable || b.nullable, any: a.any || b.any };
}

/** Categories known to share no character (same ASCII mode). */
const DISJOINT_CATEGORIES = new Set(["s:S", "S:s", "d:D", "D:d", "w:W", "W:w", "s:w", "w:s", "s:d", "d:s"]);

function disjoint(a: CharClass, b: CharClass): boolean {
  if (a.list && a.list.length <= MAX_LIST) return a.list.every((cp) => !b.test(cp));
  if (b.list && b.list.length <= MAX_LIST) return b.list.every((cp) => !a.test(cp));
  if (a.cat && b.cat && a.cat.ascii === b.cat.ascii) return DISJOINT_CATEGORIES.has(`${a.cat.cat}:${b.cat.cat}`);
  return false;
}

function disjointFrom(c: CharClass, set: FirstSet): boolean {
  return !set.any && set.classes.every((other) => disjoint(c, other));
}

type Repeat = PyNode & { type: "repeat" };

class Possessifier {
  private readonly cache = new Map<PyNode, CharClass | null>();

  constructor(
    /** Emits the JavaScript source of one single-character node, for its predicate. */
    private readonly source: (node: PyNode) => string,
    private readonly flags: string,
    /** Lists the characters of a single-character node when that is cheap and exact. */
    private readonly list: (node: PyNode) => number[] | undefined,
  ) {}

  charClass(node: PyNode): CharClass | null {
    if (node.type === "group" && !node.capture) return this.charClass(node.body);
    if (node.type !== "char" && node.type !== "set" && node.type !== "category" && node.type !== "any") return null;
    let c = this.cache.get(node);
    if (c !== undefined) return c;
    const re = new RegExp(`^(?:${this.source(node)})$`, this.flags);
    const list = this.list(node);
    c = {
      test: (cp: number) => re.test(String.fromCodePoint(cp)),
      ...(list ? { list } : {}),
      ...(node.type === "category" ? { cat: { cat: node.cat, ascii: node.ascii } } : {}),
    };
    this.cache.set(node, c);
    return c;
  }

  first(node: PyNode): FirstSet {
    switch (node.type) {
      case "char":
      case "set":
      case "category":
      case "any": {
        const c = this.charClass(node);
        return c ? { classes: [c], nullable: false, any: false } : UNKNOWN;
      }
      case "seq": {
        let acc: FirstSet = { classes: [], nullable: true, any: false };
        for (const item of node.items) {
          const f = this.first(item);
          acc = { classes: [...acc.classes, ...f.classes], nullable: f.nullable, any: acc.any || f.any };
          if (!f.nullable) break;
        }
        return acc;
      }
      case "alt":
        return node.branches.map((b) => this.first(b)).reduce(union, { ...NOTHING });
      case "group":
      case "atomic":
        return this.first(node.body);
      case "repeat": {
        const f = this.first(node.body);
        return { ...f, nullable: f.nullable || node.min === 0 };
      }
      case "assert":
        // Python's `$` lets only a newline (or the end) come next; `\Z` nothing at all.
        if (node.kind === "eol") return { classes: [NEWLINE], nullable: false, any: false };
        if (node.kind === "end") return NOTHING;
        return UNKNOWN;
      default:
        return UNKNOWN;
    }
  }

  /** Rewrites `node`, knowing what may follow it and whether it sits inside a repetition. */
  visit(node: PyNode, follow: FirstSet, nested: boolean): PyNode {
    switch (node.type) {
      case "seq": {
        const items = node.items;
        const out: PyNode[] = new Array(items.length);
        let after = follow;
        for (let k = items.length - 1; k >= 0; k--) {
          const item = items[k] as PyNode;
          out[k] = this.visit(item, after, nested);
          const f = this.first(item);
          after = f.nullable ? union(f, after) : f;
        }
        return { type: "seq", items: out };
      }
      case "alt":
        return { type: "alt", branches: node.branches.map((b) => this.visit(b, follow, nested)) };
      case "group":
      case "atomic":
        return { ...node, body: this.visit(node.body, follow, nested) };
      case "look":
        // Lookbehinds run backwards in JavaScript: leave them as they are.
        return node.behind ? node : { ...node, body: this.visit(node.body, NOTHING, nested) };
      case "repeat":
        return this.visitRepeat(node, follow, nested);
      default:
        return node;
    }
  }

  private visitRepeat(node: Repeat, follow: FirstSet, nested: boolean): PyNode {
    const c = this.charClass(node.body);
    if (c) {
      // Rule 1, only inside a repetition: the emulated atomic group costs time on every line, and only nested
      // repetitions backtrack exponentially (a top-level run gives back at most its length once per start).
      if (nested && node.mode === "greedy" && node.max === Infinity && disjointFrom(c, follow)) {
        return { ...node, mode: "possessive" };
      }
      return node;
    }
    const bodyFollow = node.max > 1 ? union(this.first(node.body), follow) : follow;
    let body = node.body;
    while (body.type === "group" && !body.capture) body = body.body;
    if (node.mode === "greedy" && node.max === Infinity && body.type === "alt") {
      // Rule 2.
      const branches = body.branches.map((branch, k) => {
        const run = singleRun(branch, this);
        if (!run) return this.visit(branch, bodyFollow, true);
        const others = body.branches.filter((_, j) => j !== k).map((b) => this.first(b));
        const ok = disjointFrom(run.cls, follow) && others.every((f) => disjointFrom(run.cls, f));
        return ok ? { ...run.node, mode: "possessive" as const } : this.visit(branch, bodyFollow, true);
      });
      return { ...node, body: { type: "alt", branches } };
    }
    return { ...node, body: this.visit(node.body, bodyFollow, nested || node.max > 1) };
  }
}

const NEWLINE: CharClass = { test: (cp) => cp === 10, list: [10] };

/** The branch when it is exactly a greedy unbounded run of one character class. */
function singleRun(branch: PyNode, p: Possessifier): { node: Repeat; cls: CharClass } | undefined {
  let b = branch;
  while ((b.type === "seq" && b.items.length === 1) || (b.type === "group" && !b.capture)) {
    b = b.type === "seq" ? (b.items[0] as PyNode) : (b as PyNode & { type: "group" }).body;
  }
  if (b.type !== "repeat" || b.mode !== "greedy" || b.max !== Infinity) return undefined;
  const cls = p.charClass(b.body);
  return cls ? { node: b, cls } : undefined;
}

/**
 * Marks as possessive the greedy character runs that provably never need to give characters back (rules at the
 * top of this file). `source` emits a single-character node as JavaScript, `flags` are the final RegExp flags,
 * `list` enumerates a node's characters when small.
 */
export function autoPossessive(
  root: PyNode,
  source: (node: PyNode) => string,
  flags: string,
  list: (node: PyNode) => number[] | undefined,
): PyNode {
  return new Possessifier(source, flags, list).visit(root, NOTHING, false);
}

// JavaScript has no conditional groups `(?(g)yes|no)`. They are expanded here: in the smallest sequence holding
// both group g and the conditional, the element E that holds g is split into the ways it can match with g set and
// with g unset, in the order Python tries them; each way is followed by a copy of the rest of the sequence in which
// the conditional became `yes` or `no`. `A (?:E_set REST_yes | E_unset REST_no)` backtracks in the same order as the
// original, so the first match found is the same. Capturing groups in the copies get hidden JavaScript names
// (`name$1`, ...) that python-regex.ts merges back into the Python name.
//
// Backreferences get the same treatment: Python fails `(?P=g)` when g is unset, JavaScript matches the empty
// string, so a reference to a group that may be unset becomes `(?(g)(?P=g)|(?!))`.
import type { PyNode } from "./py-ast.js";
import { containsCond, containsGroup, walk } from "./py-ast.js";

const EMPTY: PyNode = { type: "seq", items: [] };
const FAIL: PyNode = { type: "look", behind: false, negate: true, body: EMPTY };

/** Raised for the conditionals this translation cannot express; carries the conditional's position. */
export class UnsupportedConditional extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/** The pair cannot be expanded yet: an enclosing sequence has to expand another conditional first. */
class Deferred extends UnsupportedConditional {}

interface Variant {
  readonly node: PyNode;
  readonly set: boolean;
}

/** A conditional made from a backreference, which may fall back to the plain backreference when not expandable. */
interface BackrefCond {
  readonly type: "cond";
  readonly group: number;
  readonly yes: PyNode;
  readonly no: PyNode | null;
  readonly pos: number;
  readonly fromBackref: true;
}

function isBackrefCond(node: PyNode): node is BackrefCond & PyNode {
  return node.type === "cond" && (node as Partial<BackrefCond>).fromBackref === true;
}

class Expander {
  private aliasCounter = 0;

  /** The ways `node` can match, split by whether group `g` ends up set, in Python's order of trial. */
  variants(node: PyNode, g: number, pos: number): Variant[] {
    if (!containsGroup(node, g)) return [{ node, set: false }];
    switch (node.type) {
      case "group":
        if (node.capture?.index === g) return [{ node, set: true }];
        return this.variants(node.body, g, pos).map((v) => ({ node: { ...node, body: v.node }, set: v.set }));
      case "alt":
        return node.branches.flatMap((b) => this.variants(b, g, pos));
      case "seq": {
        const k = node.items.findIndex((item) => containsGroup(item, g));
        const inner = this.variants(node.items[k] as PyNode, g, pos);
        return inner.map((v) => ({
          node: { type: "seq", items: [...node.items.slice(0, k), v.node, ...node.items.slice(k + 1)] },
          set: v.set,
        }));
      }
      case "repeat": {
        const body = this.variants(node.body, g, pos);
        if (node.min >= 1 && body.every((v) => v.set)) return [{ node, set: true }];
        const none: Variant = { node: EMPTY, set: false };
        const atomic = (b: PyNode): PyNode => ({ type: "atomic", body: b });
        if (node.mode === "possessive" && node.min === 0) {
          // A possessive repeat is an atomic group around its greedy form.
          if (node.max === 1) return this.firstSuccess([...body, none], atomic);
          if (body.every((v) => v.set)) {
            return this.firstSuccess([{ node: { ...node, mode: "greedy", min: 1 }, set: true }, none], atomic);
          }
        }
        if (node.min === 0 && node.mode !== "possessive" && body.every((v) => v.set)) {
          // Zero iterations leave g unset, one or more set it: greedy tries more first, lazy fewer.
          const some: Variant = { node: { ...node, min: 1 }, set: true };
          return node.mode === "greedy" ? [some, none] : [none, some];
        }
        if (node.max === 1 && node.mode !== "possessive") {
          if (node.min === 1) return body;
          return node.mode === "greedy" ? [...body, none] : [none, ...body];
        }
        throw new UnsupportedConditional("conditional on a group inside a repetition is not supported", pos);
      }
      case "look":
        if (node.negate) return [{ node, set: false }];
        if (node.behind) {
          throw new UnsupportedConditional("conditional on a group inside a lookbehind is not supported", pos);
        }
        return this.firstSuccess(this.variants(node.body, g, pos), (body) => ({ ...node, body }));
      case "atomic":
        return this.firstSuccess(this.variants(node.body, g, pos), (body) => ({ ...node, body }));
      case "cond":
        // A conditional on a group of an enclosing sequence: expanded there first, then this pair again.
        throw new Deferred("conditional on a group inside a conditional part", pos);
      default:
        throw new UnsupportedConditional("conditional on a group inside a conditional part", pos);
    }
  }

  /**
   * Variants of an atomic construct (lookahead, atomic group): it keeps the first way its body succeeds, so way i
   * applies only where the ways before it cannot match: `(?!v1)...(?!v[i-1])wrap(v[i])`.
   */
  private firstSuccess(inner: Variant[], wrap: (body: PyNode) => PyNode): Variant[] {
    const merged = mergeVariants(inner);
    if (merged.length === 1) return [{ node: wrap((merged[0] as Variant).node), set: (merged[0] as Variant).set }];
    return merged.map((v, i) => {
      const guards: PyNode[] = merged
        .slice(0, i)
        .map((before) => ({ type: "look", behind: false, negate: true, body: before.node }));
      return { node: { type: "seq", items: [...guards, wrap(v.node)] }, set: v.set };
    });
  }

  /** Replaces every conditional on `g` in `node` by its yes or no branch. */
  substitute(node: PyNode, g: number, set: boolean): PyNode {
    if (!containsCond(node, g)) return node;
    switch (node.type) {
      case "cond":
        if (node.group === g) return this.substitute(set ? node.yes : (node.no ?? EMPTY), g, set);
        return {
          ...node,
          yes: this.substitute(node.yes, g, set),
          no: node.no && this.substitute(node.no, g, set),
        };
      case "seq":
        return { type: "seq", items: node.items.map((n) => this.substitute(n, g, set)) };
      case "alt":
        return { type: "alt", branches: node.branches.map((n) => this.substitute(n, g, set)) };
      case "group":
      case "look":
      case "atomic":
      case "repeat":
        return { ...node, body: this.substitute(node.body, g, set) };
      default:
        return node;
    }
  }

  /** Gives every capturing group in `node` a fresh hidden JavaScript name. */
  rename(node: PyNode): PyNode {
    switch (node.type) {
      case "group": {
        const body = this.rename(node.body);
        if (!node.capture) return { ...node, body };
        const base = node.capture.name ?? `$${node.capture.index}`;
        return { ...node, body, capture: { ...node.capture, alias: `${base}$${++this.aliasCounter}` } };
      }
      case "seq":
        return { type: "seq", items: node.items.map((n) => this.rename(n)) };
      case "alt":
        return { type: "alt", branches: node.branches.map((n) => this.rename(n)) };
      case "look":
      case "atomic":
      case "repeat":
        return { ...node, body: this.rename(node.body) };
      case "cond":
        return { ...node, yes: this.rename(node.yes), no: node.no && this.rename(node.no) };
      default:
        return node;
    }
  }

  /** Expands the first (group, conditional) pair found in `items`; null when there is none at this level. */
  private expandSeq(items: readonly PyNode[], inRepeat: boolean): { at: number; items: PyNode[] } | null {
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as PyNode;
      for (let j = i + 1; j < items.length; j++) {
        const cond = findCond(items[j] as PyNode, (g) => containsGroup(item, g));
        if (!cond) continue;
        const g = cond.group;
        let variants: Variant[];
        try {
          variants = this.variants(item, g, cond.pos);
          // Inside a repetition Python keeps a group's value from earlier iterations, which a copy cannot know;
          // a backreference still fails on a group unset in its own iteration (exact in the first iteration).
          if (inRepeat && !isBackrefCond(cond) && variants.some((v) => !v.set)) {
            throw new UnsupportedConditional("conditional inside a repetition is not supported", cond.pos);
          }
        } catch (e) {
          if (e instanceof Deferred) continue;
          if (!(e instanceof UnsupportedConditional) || !isBackrefCond(cond)) throw e;
          // A backreference keeps JavaScript's meaning when it cannot be made exact.
          const rest = items.slice(i + 1).map((n) => replaceCond(n, cond, cond.yes));
          return { at: i + 1, items: [...items.slice(0, i + 1), ...rest] };
        }
        const merged = mergeVariants(variants);
        const rest = items.slice(i + 1);
        const copies = merged.map((v) => {
          const tail = rest.map((n) => this.substitute(n, g, v.set));
          const seq: PyNode = { type: "seq", items: [v.node, ...tail] };
          // Copies (and merged alternatives, which hold one copy of the element per way) need fresh names.
          return variants.length > 1 ? this.rename(seq) : seq;
        });
        const choice: PyNode = copies.length === 1 ? (copies[0] as PyNode) : { type: "alt", branches: copies };
        return { at: i, items: [...items.slice(0, i), choice] };
      }
    }
    return null;
  }

  /**
   * Resolves every conditional below `node`, innermost sequences first. `outer` holds the groups of earlier
   * elements of enclosing sequences: conditionals on those are left for the enclosing sequence to expand.
   */
  resolve(node: PyNode, inRepeat: boolean, enclosing: readonly number[], outer: ReadonlySet<number>): PyNode {
    switch (node.type) {
      case "seq": {
        const seen = new Set(outer);
        let items = node.items.map((item) => {
          const resolved = this.resolve(item, inRepeat, enclosing, new Set(seen));
          for (const g of groupsIn(resolved)) seen.add(g);
          return resolved;
        });
        for (;;) {
          const expanded = this.expandSeq(items, inRepeat);
          if (!expanded) break;
          // The copies now hold groups and conditionals together: resolve them in their new place.
          const before = new Set(outer);
          for (const item of expanded.items.slice(0, expanded.at)) for (const g of groupsIn(item)) before.add(g);
          items = expanded.items.map((item, k) => {
            if (k < expanded.at) return item;
            const resolved = this.resolve(item, inRepeat, enclosing, new Set(before));
            for (const g of groupsIn(resolved)) before.add(g);
            return resolved;
          });
        }
        return { type: "seq", items };
      }
      case "alt":
        return {
          type: "alt",
          branches: node.branches.map((n) => this.resolve(n, inRepeat, enclosing, outer)),
        };
      case "group": {
        const inner = node.capture ? [...enclosing, node.capture.index] : enclosing;
        return { ...node, body: this.resolve(node.body, inRepeat, inner, outer) };
      }
      case "look":
      case "atomic":
        return { ...node, body: this.resolve(node.body, inRepeat, enclosing, outer) };
      case "repeat":
        return { ...node, body: this.resolve(node.body, inRepeat || node.max > 1, enclosing, outer) };
      case "cond": {
        const yes = this.resolve(node.yes, inRepeat, enclosing, outer);
        const no = node.no && this.resolve(node.no, inRepeat, enclosing, outer);
        if (outer.has(node.group)) return { ...node, yes, no };
        // No earlier element holds the group: it is unset here, unless a repetition or an enclosing group
        // could have set it, which this translation does not follow.
        const backref = isBackrefCond(node);
        if (enclosing.includes(node.group) && !backref) {
          throw new UnsupportedConditional("conditional on an enclosing group is not supported", node.pos);
        }
        if (inRepeat && !backref) {
          throw new UnsupportedConditional("conditional inside a repetition is not supported", node.pos);
        }
        return no ?? EMPTY;
      }
      default:
        return node;
    }
  }
}

/** The capturing group numbers inside `node`. */
function groupsIn(node: PyNode): number[] {
  const out: number[] = [];
  walk(node, (n) => {
    if (n.type === "group" && n.capture) out.push(n.capture.index);
  });
  return out;
}

/** Joins neighbouring variants of the same kind into one alternation: `v1 R | v2 R` is `(?:v1|v2) R`. */
function mergeVariants(variants: readonly Variant[]): Variant[] {
  const merged: Variant[] = [];
  for (const v of variants) {
    const last = merged[merged.length - 1];
    if (last && last.set === v.set) {
      const branches = last.node.type === "alt" ? [...last.node.branches, v.node] : [last.node, v.node];
      merged[merged.length - 1] = { node: { type: "alt", branches }, set: v.set };
    } else merged.push(v);
  }
  return merged;
}

/** Finds the first conditional in `node` whose group satisfies `wanted`. */
function findCond(node: PyNode, wanted: (g: number) => boolean): (PyNode & { type: "cond" }) | undefined {
  let found: (PyNode & { type: "cond" }) | undefined;
  const visit = (n: PyNode): void => {
    if (found) return;
    switch (n.type) {
      case "cond":
        if (wanted(n.group)) {
          found = n;
          return;
        }
        visit(n.yes);
        if (n.no) visit(n.no);
        return;
      case "seq":
        for (const i of n.items) visit(i);
        return;
      case "alt":
        for (const b of n.branches) visit(b);
        return;
      case "group":
      case "look":
      case "atomic":
      case "repeat":
        visit(n.body);
        return;
      default:
        return;
    }
  };
  visit(node);
  return found;
}

function replaceCond(node: PyNode, target: PyNode, by: PyNode): PyNode {
  if (node === target) return by;
  switch (node.type) {
    case "seq":
      return { type: "seq", items: node.items.map((n) => replaceCond(n, target, by)) };
    case "alt":
      return { type: "alt", branches: node.branches.map((n) => replaceCond(n, target, by)) };
    case "group":
    case "look":
    case "atomic":
    case "repeat":
      return { ...node, body: replaceCond(node.body, target, by) };
    case "cond":
      return { ...node, yes: replaceCond(node.yes, target, by), no: node.no && replaceCond(node.no, target, by) };
    default:
      return node;
  }
}

/** Turns each backreference into a conditional on its group, so that an unset group fails like in Python. */
function guardBackrefs(node: PyNode): PyNode {
  switch (node.type) {
    case "backref": {
      const cond: BackrefCond = {
        type: "cond",
        group: node.group,
        yes: node,
        no: FAIL,
        pos: node.pos,
        fromBackref: true,
      };
      return cond;
    }
    case "seq":
      return { type: "seq", items: node.items.map(guardBackrefs) };
    case "alt":
      return { type: "alt", branches: node.branches.map(guardBackrefs) };
    case "group":
    case "look":
    case "atomic":
    case "repeat":
      return { ...node, body: guardBackrefs(node.body) };
    case "cond":
      return { ...node, yes: guardBackrefs(node.yes), no: node.no && guardBackrefs(node.no) };
    default:
      return node;
  }
}

/**
 * Returns `root` without conditional groups, expanded as described at the top of this file. Throws
 * UnsupportedConditional (with the position of the conditional) for the forms that cannot be expanded exactly.
 */
export function expandConditionals(root: PyNode): PyNode {
  let hasRef = false;
  const check = (n: PyNode): void => {
    if (hasRef) return;
    if (n.type === "cond" || n.type === "backref") hasRef = true;
    else if (n.type === "seq") n.items.forEach(check);
    else if (n.type === "alt") n.branches.forEach(check);
    else if (n.type === "group" || n.type === "look" || n.type === "atomic" || n.type === "repeat") check(n.body);
  };
  check(root);
  if (!hasRef) return root;
  const wrapped: PyNode = { type: "seq", items: [guardBackrefs(root)] };
  return new Expander().resolve(wrapped, false, [], new Set());
}

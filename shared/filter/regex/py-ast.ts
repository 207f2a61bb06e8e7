// The syntax tree of a Python `re` pattern, as built by py-parser.ts and consumed by js-emitter.ts.
// Flags (IGNORECASE, DOTALL, MULTILINE, ASCII) are resolved at parse time and stored on the leaves they affect,
// so scoped flags such as `(?i:...)` need no special handling afterwards.

/** Python's character categories (`\d \D \w \W \s \S`). */
export type Category = "d" | "D" | "w" | "W" | "s" | "S";

/** One member of a character class. */
export type SetItem =
  | { readonly kind: "char"; readonly cp: number }
  | { readonly kind: "range"; readonly lo: number; readonly hi: number }
  | { readonly kind: "category"; readonly cat: Category };

/** A capturing group's identity: Python's group number, its name, and the JavaScript name of a duplicate. */
export interface Capture {
  readonly index: number;
  readonly name?: string;
  /** Set on copies made by the expansion of conditional groups: the hidden JavaScript name of this copy. */
  readonly alias?: string;
}

/** A node of the tree. `pos` fields are UTF-16 offsets in the original pattern, for error messages. */
export type PyNode =
  | { readonly type: "seq"; readonly items: readonly PyNode[] }
  | { readonly type: "alt"; readonly branches: readonly PyNode[] }
  | {
      readonly type: "char";
      readonly cp: number;
      readonly icase: boolean;
      /** Under re.ASCII only ASCII letters fold (set by the flag in scope). */
      readonly asciiCase?: boolean;
    }
  | { readonly type: "any"; readonly dotAll: boolean }
  | {
      readonly type: "set";
      readonly negate: boolean;
      readonly items: readonly SetItem[];
      readonly icase: boolean;
      /** Categories inside the set use ASCII meanings (global re.ASCII). */
      readonly ascii: boolean;
      /** Under re.ASCII only ASCII letters fold (set by the flag in scope). */
      readonly asciiCase?: boolean;
    }
  | { readonly type: "category"; readonly cat: Category; readonly ascii: boolean }
  | {
      readonly type: "assert";
      readonly kind: "bol" | "eol" | "start" | "end" | "wordb" | "nonwordb";
      readonly multiline: boolean;
      readonly ascii: boolean;
    }
  | { readonly type: "group"; readonly capture?: Capture; readonly body: PyNode }
  | { readonly type: "look"; readonly behind: boolean; readonly negate: boolean; readonly body: PyNode }
  | { readonly type: "atomic"; readonly body: PyNode }
  | {
      readonly type: "repeat";
      readonly min: number;
      readonly max: number;
      readonly mode: "greedy" | "lazy" | "possessive";
      readonly body: PyNode;
    }
  | { readonly type: "backref"; readonly group: number; readonly icase: boolean; readonly pos: number }
  | {
      readonly type: "cond";
      readonly group: number;
      readonly yes: PyNode;
      readonly no: PyNode | null;
      readonly pos: number;
    };

/** The parsed pattern: its tree, group count, names, and the flags in force at its start. */
export interface PyPattern {
  readonly root: PyNode;
  /** Number of capturing groups (Python's `groups`). */
  readonly groupCount: number;
  /** Python group name to group number (Python's `groupindex`). */
  readonly groupIndex: ReadonlyMap<string, number>;
  /** True when IGNORECASE is in force for the whole pattern (option or leading `(?i)`). */
  readonly globalIgnoreCase: boolean;
}

/** Calls `visit` on `node` and every node below it, parents first. */
export function walk(node: PyNode, visit: (n: PyNode) => void): void {
  visit(node);
  switch (node.type) {
    case "seq":
      for (const item of node.items) walk(item, visit);
      break;
    case "alt":
      for (const branch of node.branches) walk(branch, visit);
      break;
    case "group":
    case "look":
    case "atomic":
    case "repeat":
      walk(node.body, visit);
      break;
    case "cond":
      walk(node.yes, visit);
      if (node.no) walk(node.no, visit);
      break;
    default:
      break;
  }
}

/** True when `node` holds the capturing group number `group`. */
export function containsGroup(node: PyNode, group: number): boolean {
  let found = false;
  walk(node, (n) => {
    if (n.type === "group" && n.capture?.index === group) found = true;
  });
  return found;
}

/** True when `node` holds a conditional on `group` (or any conditional when `group` is undefined). */
export function containsCond(node: PyNode, group?: number): boolean {
  let found = false;
  walk(node, (n) => {
    if (n.type === "cond" && (group === undefined || n.group === group)) found = true;
  });
  return found;
}

/** Minimum and maximum length of what `node` can match (max is Infinity when unbounded), as Python's getwidth. */
export function width(node: PyNode): [number, number] {
  switch (node.type) {
    case "seq": {
      let lo = 0;
      let hi = 0;
      for (const item of node.items) {
        const [a, b] = width(item);
        lo += a;
        hi += b;
      }
      return [lo, hi];
    }
    case "alt": {
      let lo = Infinity;
      let hi = 0;
      for (const branch of node.branches) {
        const [a, b] = width(branch);
        lo = Math.min(lo, a);
        hi = Math.max(hi, b);
      }
      return [lo === Infinity ? 0 : lo, hi];
    }
    case "char":
    case "any":
    case "set":
    case "category":
      return [1, 1];
    case "assert":
    case "look":
      return [0, 0];
    case "group":
    case "atomic":
      return width(node.body);
    case "repeat": {
      const [a, b] = width(node.body);
      return [a * node.min, node.max === Infinity ? (b === 0 ? 0 : Infinity) : b * node.max];
    }
    case "backref":
      return [0, Infinity];
    case "cond": {
      const [a, b] = width(node.yes);
      const [c, d] = node.no ? width(node.no) : [0, 0];
      return [Math.min(a, c), Math.max(b, d)];
    }
  }
}

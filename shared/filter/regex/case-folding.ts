// Case equivalence for IGNORECASE parts of a pattern that JavaScript must match case-sensitively (Node 20 has no
// scoped `(?i:...)`): each letter becomes the class of the characters that Python treats as equal to it.
// Python 3 compares lower(x) == lower(c), also accepting upper-case equality; a union-find over the simple
// (one-code-point) lower and upper mappings gives the same classes (k, K and the Kelvin sign; s, S and long s).

/** Pairs CPython 3.11 also treats as equal under IGNORECASE (found by comparing with re on every cased letter). */
const PYTHON_EXTRA_EQUIVALENCES: ReadonlyArray<readonly [number, number]> = [
  [0x130, 0x69],
  [0x390, 0x1fd3],
  [0x3b0, 0x1fe3],
  [0xfb05, 0xfb06],
];

/**
 * Letters whose Python equivalence class is larger than what JavaScript's `iu` matching (simple case folding)
 * gives: with the `i` flag these still need an explicit class.
 */
export const JS_FOLD_GAPS: ReadonlySet<number> = new Set([0x49, 0x69, 0x130, 0x131]);

let classes: Map<number, number[]> | undefined;
let cased: number[] | undefined;

function single(s: string): number | undefined {
  const cp = s.codePointAt(0) as number;
  return s.length === String.fromCodePoint(cp).length ? cp : undefined;
}

function build(): Map<number, number[]> {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) as number;
    return r;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (!parent.has(ra)) parent.set(ra, ra);
    if (!parent.has(rb)) parent.set(rb, rb);
    if (ra !== rb) parent.set(ra, rb);
  };
  // Cased letters live below U+20000; scanning further adds nothing but time.
  for (let cp = 0; cp < 0x20000; cp++) {
    if (cp >= 0xd800 && cp < 0xe000) continue;
    const ch = String.fromCodePoint(cp);
    const lo = single(ch.toLowerCase());
    const up = single(ch.toUpperCase());
    if ((lo === undefined || lo === cp) && (up === undefined || up === cp)) continue;
    if (lo !== undefined && lo !== cp) union(cp, lo);
    if (up !== undefined && up !== cp) union(cp, up);
  }
  // Python's sre adds equivalences that the simple mappings miss (its _ignorecase_fixes and the dotted I).
  for (const [a, b] of PYTHON_EXTRA_EQUIVALENCES) union(a, b);
  const groups = new Map<number, number[]>();
  for (const cp of parent.keys()) {
    const root = find(cp);
    let g = groups.get(root);
    if (!g) {
      g = [];
      groups.set(root, g);
    }
    g.push(cp);
  }
  const byCp = new Map<number, number[]>();
  for (const g of groups.values()) {
    g.sort((a, b) => a - b);
    for (const cp of g) byCp.set(cp, g);
  }
  cased = [...byCp.keys()].sort((a, b) => a - b);
  return byCp;
}

/** The code points Python's IGNORECASE treats as equal to `cp` (at least `cp` itself), in ascending order. */
export function caseVariants(cp: number): readonly number[] {
  classes ??= build();
  return classes.get(cp) ?? [cp];
}

/** Every code point in [lo, hi] that has case variants, for expanding ranges such as `[a-z]`. */
export function casedInRange(lo: number, hi: number): number[] {
  classes ??= build();
  const list = cased as number[];
  const out: number[] = [];
  // Binary search the first cased code point >= lo.
  let a = 0;
  let b = list.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if ((list[mid] as number) < lo) a = mid + 1;
    else b = mid;
  }
  for (let k = a; k < list.length && (list[k] as number) <= hi; k++) out.push(list[k] as number);
  return out;
}

// A seeded generator of small Python patterns and texts over a tiny alphabet, for the differential fuzz test:
// the constructs the translator rewrites (conditionals, backreferences, scoped flags, anchors, classes, possessive
// runs) are combined at random so that their interactions get compared with CPython.

/** A deterministic pseudo-random source (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ATOMS = [
  "a",
  "b",
  "A",
  ".",
  "\\d",
  "\\w",
  "\\s",
  "\\S",
  "\\W",
  "[ab]",
  "[^a]",
  "[a-c\\d]",
  "[^\\W\\d]",
  "[\\s\\]]",
  "é",
  "\\n",
  " ",
  "1",
  "-",
];
const ANCHORS = ["^", "$", "\\b", "\\B", "\\A", "\\Z"];
const QUANTS = ["*", "+", "?", "{,2}", "{1,}", "{2}", "*?", "+?", "??", "*+", "++"];

/** One random pattern; `groups` tracks the group numbers already closed, for valid references. */
export function randomPattern(next: () => number): string {
  let groupCount = 0;
  const closed: number[] = [];
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const node = (depth: number): string => {
    const r = next();
    if (depth > 3 || r < 0.35) return pick(ATOMS);
    if (r < 0.45) return pick(ANCHORS);
    if (r < 0.55) return `${wrapped(depth)}${pick(QUANTS)}`;
    if (r < 0.65) {
      const n = ++groupCount;
      const body = seq(depth + 1);
      closed.push(n);
      return next() < 0.5 ? `(?P<g${n}>${body})` : `(${body})`;
    }
    if (r < 0.72 && closed.length > 0) {
      const g = pick(closed);
      return next() < 0.5 ? `\\${g}` : `(?P=g${g})`;
    }
    if (r < 0.8 && closed.length > 0) {
      const g = pick(closed);
      return `(?(${g})${seq(depth + 1)}|${seq(depth + 1)})`;
    }
    if (r < 0.85) return `(?${pick(["i", "m", "s", "-i", "im", "-s"])}:${seq(depth + 1)})`;
    if (r < 0.9) return `(?=${seq(depth + 1)})`;
    if (r < 0.93) return `(?!${seq(depth + 1)})`;
    if (r < 0.96) return `(?<=${pick(["a", "b", "\\d", "[ab]", "ab"])})`;
    return `(?:${seq(depth + 1)}|${seq(depth + 1)})`;
  };
  // Quantified parts never match the empty string: CPython and JavaScript treat empty iterations differently
  // (a documented limit), which this test is not about.
  const wrapped = (_depth: number) => {
    const atoms = Array.from({ length: 1 + Math.floor(next() * 2) }, () => pick(ATOMS)).join("");
    if (atoms.length <= 2 && next() < 0.6) return atoms.length === 1 || atoms.startsWith("\\") ? atoms : `(?:${atoms})`;
    if (next() < 0.5) {
      const n = ++groupCount;
      closed.push(n);
      return `(${atoms})`;
    }
    return `(?:${atoms}|${pick(ATOMS)})`;
  };
  const seq = (depth: number): string => {
    let out = "";
    const n = 1 + Math.floor(next() * 3);
    for (let k = 0; k < n; k++) out += node(depth);
    return out;
  };
  const body = seq(0);
  // Named references need the group to be named: fall back to numbers where it is not.
  return body.replace(/\(\?P=g(\d+)\)/g, (m, n) => (body.includes(`(?P<g${n}>`) ? m : `\\${n}`));
}

/** A random short text over the characters the atoms care about. */
export function randomText(next: () => number): string {
  const chars = ["a", "b", "A", "B", "1", " ", "\n", "é", "-", "]", "_", "\r", "😀", "İ", "ı", "\u212a", "٣"];
  let out = "";
  const n = Math.floor(next() * 9);
  for (let k = 0; k < n; k++) out += chars[Math.floor(next() * chars.length)];
  return out;
}

/** Random re.compile flags. */
export function randomFlags(next: () => number): {
  ignoreCase?: boolean;
  multiline?: boolean;
  dotAll?: boolean;
  ascii?: boolean;
} {
  const flags: { ignoreCase?: boolean; multiline?: boolean; dotAll?: boolean; ascii?: boolean } = {};
  if (next() < 0.15) flags.ascii = true;
  if (next() < 0.25) flags.ignoreCase = true;
  if (next() < 0.25) flags.multiline = true;
  if (next() < 0.25) flags.dotAll = true;
  return flags;
}

// Seeded generator of address-like text for the differential test of shared/net/ip.ts: well-formed IPv4 and IPv6,
// IPv4-mapped, zone ids, octal/hex-looking and short-form IPv4, and malformed mixtures of the same characters.
// Deterministic: the same seed gives the same inputs, so a finding can be replayed.

/** mulberry32: a small, well-distributed 32-bit PRNG (reproducible across Node versions, unlike Math.random). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

const int = (random: Random, below: number) => Math.floor(random() * below);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;

function octet(random: Random): string {
  const value = pick(random, [0, 1, 8, 10, 127, 192, 255, 256, 999, int(random, 256), int(random, 256)]);
  switch (int(random, 10)) {
    case 0:
      return `0${value}`; // octal-looking: 010 must never be read as 8
    case 1:
      return `0x${value.toString(16)}`; // hex-looking
    case 2:
      return `00${value}`;
    default:
      return String(value);
  }
}

function ipv4(random: Random): string {
  const parts = pick(random, [4, 4, 4, 4, 4, 4, 1, 2, 3, 5]);
  return Array.from({ length: parts }, () => octet(random)).join(".");
}

function plainIpv4(random: Random): string {
  return Array.from({ length: 4 }, () => String(int(random, 256))).join(".");
}

function group(random: Random): string {
  const value = pick(random, [0, 0, 0, 1, 0xffff, int(random, 0x10000), int(random, 0x10000)]);
  let text = value.toString(16);
  if (random() < 0.15) text = text.padStart(4, "0");
  if (random() < 0.03) text = `0${text.padStart(4, "0")}`; // five digits: too long
  if (random() < 0.3) text = text.toUpperCase();
  return text;
}

function ipv6(random: Random): string {
  const groups = Array.from({ length: 8 }, () => group(random));
  let tail: string | undefined;
  const form = int(random, 10);
  if (form === 0) {
    // IPv4-mapped, in either notation
    groups.fill("0", 0, 5);
    groups[5] = pick(random, ["ffff", "FFFF", "ffff", "fffe"]);
    tail = random() < 0.7 ? (random() < 0.8 ? plainIpv4(random) : ipv4(random)) : undefined;
  } else if (form === 1) {
    tail = random() < 0.8 ? plainIpv4(random) : ipv4(random); // embedded IPv4 (NAT64, compatible)
  }
  const count = tail ? 6 : 8;
  let parts = groups.slice(0, count);
  let text: string;
  if (random() < 0.6) {
    // compress one run (sometimes of a single group, sometimes all)
    const start = int(random, count);
    const length = 1 + int(random, count - start);
    text = `${parts.slice(0, start).join(":")}::${parts.slice(start + length).join(":")}`;
    if (random() < 0.05) text = `${text}::`; // two runs: invalid
  } else {
    if (random() < 0.05) parts = parts.slice(0, count - 1 - int(random, 2)); // too few groups
    if (random() < 0.03) parts.push(group(random)); // too many
    text = parts.join(":");
  }
  if (tail !== undefined) text = text.endsWith(":") ? `${text}${tail}` : `${text}:${tail}`;
  if (random() < 0.12) text = `${text}%${pick(random, ["eth0", "1", "en0", "", "a%b", "lo", "wlan0.1", "x y"])}`;
  if (random() < 0.08) text = `[${text}]`;
  return text;
}

const noiseAlphabet = "0123456789abcdefABCDEFx.:%[]/ g";

function malformed(random: Random): string {
  if (random() < 0.5) {
    // a valid-looking address with one character changed, dropped or doubled
    const base = random() < 0.5 ? ipv4(random) : ipv6(random);
    const at = int(random, base.length + 1);
    const c = pick(random, [...noiseAlphabet]);
    switch (int(random, 3)) {
      case 0:
        return base.slice(0, at) + c + base.slice(at + 1);
      case 1:
        return base.slice(0, at) + base.slice(at + 1);
      default:
        return base.slice(0, at) + c + base.slice(at);
    }
  }
  const length = int(random, 24);
  return Array.from({ length }, () => pick(random, [...noiseAlphabet])).join("");
}

/** `count` inputs from `seed`: about 35% IPv4-like, 40% IPv6-like, 25% malformed; no duplicates. */
export function fuzzInputs(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  const seen = new Set<string>();
  for (let tries = 0; seen.size < count && tries < count * 20; tries++) {
    const roll = random();
    seen.add(roll < 0.35 ? ipv4(random) : roll < 0.75 ? ipv6(random) : malformed(random));
  }
  return [...seen];
}

// Host placement: the engine's defence against log injection. A regex may read a line in several ways when text the
// client chose (a user name, a URL) can itself look like the address and the words around it: with the user name
// `x 198.51.100.7 on`, sshd writes `... invalid user x 198.51.100.7 on 192.0.2.1 port 22 [preauth]`, and a lax regex
// takes 198.51.100.7. A filter that knows on which side of the client's text its program writes the real address
// says so with `hostposition` (first | last); the engine then looks for every reading of the line the regex allows,
// by masking the address of one reading and searching again, and keeps the reading whose address stands furthest
// in that direction: the one the logging program wrote, since the client's text can only stand on the other side.
import { ConfigError, type ConfigLocation } from "../errors.js";
import { parseIp } from "../net/ip.js";
import { type FilterRegex, type FilterRegexHit, failRegexOf, hitFromMatch } from "./filter-regex.js";
import type { PyMatch } from "./regex/python-regex.js";

/**
 * Where a filter's program writes the client address relative to the text the client controls:
 * - `any`: no rule, fail2ban's behaviour (the regex's first reading wins);
 * - `last`: after all client text (sshd: `... user NAME from ADDR port N`): the last address a reading allows wins;
 * - `first`: before all client text (access logs: `ADDR - - [...] "GET URL"`): the first such address wins.
 */
export type HostPosition = "any" | "first" | "last";

/** The values `hostposition` takes. */
export const HOST_POSITIONS: readonly HostPosition[] = ["any", "first", "last"];

/** At most this many readings of one line are tried; a line with more is refused (see placeHost). */
export const MAX_READINGS = 64;

// Replaces a reading's address: no address or host-name pattern matches it, and it is not a blank, so the text
// around keeps its shape (a user name `\S+` or `.*?` still spans it).
const MASK = "\u0000";
const HOST_GROUPS = ["ip4", "ip6", "dns"] as const;

/**
 * Reads a filter's `hostposition` option (absent or empty: `any`). Throws ConfigError naming the option for any other
 * value: a mistyped rule must not silently turn the defence off.
 */
export function parseHostPosition(value: string | undefined, where: ConfigLocation = {}): HostPosition {
  const text = (value ?? "").trim().toLowerCase();
  if (text === "") return "any";
  if ((HOST_POSITIONS as readonly string[]).includes(text)) return text as HostPosition;
  throw new ConfigError(`hostposition must be one of ${HOST_POSITIONS.join(", ")}, found '${value}'`, {
    ...where,
    option: "hostposition",
  });
}

/** The outcome of placing the host of a failregex hit. */
export type Placement =
  /** The regex's reading holds no address (a failure id, a session line): nothing to place. */
  | { readonly kind: "no-host" }
  /** The reading whose address stands where the filter says (it may be the regex's own first reading). */
  | { readonly kind: "placed"; readonly hit: FilterRegexHit; readonly readings: number }
  /**
   * The address cannot be told from client text: more than MAX_READINGS readings, or the chosen reading's own text
   * holds another address on the client's side of it. The match is refused.
   */
  | { readonly kind: "ambiguous"; readonly readings: number; readonly reason: "readings" | "stray-address" };

interface HostSpan {
  readonly start: number;
  readonly end: number;
  /** An address (ip4/ip6), not a host name. */
  readonly isAddress: boolean;
}

function hostSpan(match: PyMatch): HostSpan | undefined {
  for (const name of HOST_GROUPS) {
    const span = match.spans?.[name];
    if (span !== undefined) return { start: span[0], end: span[1], isAddress: name !== "dns" };
  }
  return undefined;
}

// Runs of the characters addresses are written with; each run (less trailing dots and colons) is tried as an address.
const ADDRESS_RUN = /[\w.:]+/g;

// Anything an address tag could match, counted loosely (no word boundaries, times like 10:00:01 count too): more
// than one means another reading may put the host elsewhere.
const ADDRESS_LIKE = /\d{1,3}(?:\.\d{1,3}){3}|(?:[0-9A-Fa-f]{0,4}:){2,}[0-9A-Fa-f]{0,4}/g;

/**
 * Whether a line may be read with its host in more than one place: it holds two or more address-like runs. Only
 * such lines need placement; for the others the regex's own reading is the only one with an address (a name never
 * displaces it) and nothing after it can read as another address. Saves the extra searches on most matching lines.
 */
export function mayHoldTwoAddresses(text: string): boolean {
  ADDRESS_LIKE.lastIndex = 0;
  return ADDRESS_LIKE.exec(text) !== null && ADDRESS_LIKE.exec(text) !== null;
}

/** Whether `text` holds an address-shaped word (IPv4, IPv6, IPv4-mapped; brackets and trailing `.`/`:` aside). */
export function holdsAddress(text: string): boolean {
  for (const [run] of text.matchAll(ADDRESS_RUN)) {
    if (!/\d/.test(run)) continue;
    if (parseIp(run) !== undefined || parseIp(run.replace(/[.:]+$/, "")) !== undefined) return true;
  }
  return false;
}

function masked(text: string, span: HostSpan): string {
  return text.slice(0, span.start) + MASK.repeat(span.end - span.start) + text.slice(span.end);
}

/** The text of [from, to) with the spans of the match's named groups blanked out. */
function unnamedText(text: string, match: PyMatch, from: number, to: number): string {
  let out = text.slice(from, to);
  for (const span of Object.values(match.spans ?? {})) {
    if (span === undefined || span[1] <= from || span[0] >= to) continue;
    const start = Math.max(span[0], from) - from;
    const end = Math.min(span[1], to) - from;
    out = out.slice(0, start) + " ".repeat(end - start) + out.slice(end);
  }
  return out;
}

/** The groups of a reading found in a masked copy, read back from the original text at the same spans. */
function onOriginal(match: PyMatch, text: string): PyMatch {
  const groups: Record<string, string | undefined> = {};
  for (const name of Object.keys(match.groups)) {
    const span = match.spans?.[name];
    groups[name] = span === undefined ? undefined : text.slice(span[0], span[1]);
  }
  return { start: match.start, end: match.end, text: text.slice(match.start, match.end), groups };
}

/**
 * Chooses, among the readings of `text` that `regex` allows, the one whose address stands last (or first) in the
 * text. Each round masks the address of the reading just found and searches again, so every address-bearing reading
 * is seen once, in the regex's own order; the masked copy has the text's length, so spans read back on the original.
 * A reading found in the masked copy is one of the original too, as long as the regex's other parts accept the mask
 * wherever they accepted the address (true of the blank-free and any-character spans filters give client text).
 *
 * Only readings with an address displace the regex's first reading, and only when theirs stands further in the
 * chosen direction: any word can read as a host name (a port number, the word after the address). Last, the chosen
 * reading of a `last` filter must not hold another address, outside its named groups, between its own and the end
 * of the match: such an address was swallowed by a lax unnamed part of the regex (` on \S+`), and the one taken may
 * be the client's. Text a filter names (`<F-VIA>`, `<F-DETAILS>`) is a field it reads on purpose and is not checked.
 * (A `first` filter gets no such check: before its address the match may hold the line's head.)
 */
export function placeHost(regex: FilterRegex, text: string, position: "first" | "last"): Placement {
  const failRegex = failRegexOf(regex);
  if (!failRegex) throw new Error("placeHost: not a compiled filter regex");
  const spanned = failRegex.withSpans();
  const first = spanned.search(text);
  const firstSpan = first ? hostSpan(first) : undefined;
  if (!first || !firstSpan) return { kind: "no-host" };
  let best = first;
  let bestSpan = firstSpan;
  let span = firstSpan;
  let copy = text;
  for (let readings = 1; ; readings++) {
    copy = masked(copy, span);
    const next = spanned.search(copy);
    const nextSpan = next ? hostSpan(next) : undefined;
    if (!next || !nextSpan) {
      // only after the address: before it, the match may hold the line's head (a syslog host written as an address)
      if (position === "last" && holdsAddress(unnamedText(text, best, bestSpan.end, best.end))) {
        return { kind: "ambiguous", readings, reason: "stray-address" };
      }
      const chosen = best === first ? first : onOriginal(best, text);
      return { kind: "placed", hit: hitFromMatch(regex, chosen), readings };
    }
    if (readings >= MAX_READINGS) return { kind: "ambiguous", readings, reason: "readings" };
    const further = position === "last" ? nextSpan.start > bestSpan.start : nextSpan.start < bestSpan.start;
    if (nextSpan.isAddress && further) {
      best = next;
      bestSpan = nextSpan;
    }
    span = nextSpan;
  }
}

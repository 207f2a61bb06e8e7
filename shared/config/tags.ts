import { CloudjailError } from "../errors.js";

/** fail2ban stops substituting a tag inside another after this many replacements (self-reference guard). */
export const MAX_TAG_REPLACE_COUNT = 25;

/** A value growing past this while tags are substituted is a runaway definition (fail2ban would exhaust memory). */
export const MAX_TAG_VALUE_LENGTH = 1_000_000;

const TAG = /<([^ <>]+)>/g;

/** A `<tag>` definition cannot be resolved: it refers to itself, directly or through other tags. */
export class TagRecursionError extends CloudjailError {
  override name = "TagRecursionError";
  constructor(
    readonly tag: string,
    readonly found: string,
    readonly value: string,
  ) {
    super(`option '${tag}' refers to itself through <${found}> and cannot be resolved (value: ${value})`);
  }
}

/** Options for {@link substituteTags} and {@link replaceTags}. */
export interface TagOptions {
  /** Tag names never replaced (fail2ban's escaped action tags such as `matches`, or conditional base names). */
  readonly ignore?: Iterable<string>;
  /** A condition such as `family=inet6`: a value named `tag?family=inet6` wins over `tag` (conditional sections). */
  readonly conditional?: string;
  /** Resolves a tag that `values` lacks (fail2ban looks it up in the definition); undefined leaves it alone. */
  readonly fallback?: (tag: string) => string | undefined;
}

/**
 * Replaces `<tag>` references inside the values of `values` with the values they name, recursively and embedded
 * (`<mdre-<mode>>` first becomes `<mdre-normal>`, then its value), the way fail2ban prepares filter and action
 * options. A tag that neither `values` nor `fallback` knows stays as written (`<HOST>`, `<F-USER>`, shell `<STDIN>`).
 * A value that refers to itself, or a tag replaced more than 25 times in one value, throws {@link TagRecursionError}.
 * Returns a new map; the input is not changed.
 *
 * @example
 * substituteTags(new Map([["mode", "normal"], ["failregex", "<mdre-<mode>>"], ["mdre-normal", "^x <HOST>"]]))
 *   .get("failregex"); // "^x <HOST>"
 */
export function substituteTags(values: ReadonlyMap<string, string>, options: TagOptions = {}): Map<string, string> {
  const tags = new Map(values);
  const ignore = new Set(options.ignore ?? []);
  const done = new Set<string>();
  const repeatCounts = new Map<string, Map<string, number>>();
  for (;;) {
    let again = false;
    for (const [tag, original] of tags) {
      if (ignore.has(tag) || done.has(tag)) continue;
      let value = original;
      const counts = repeatCounts.get(tag) ?? new Map<string, number>();
      let match = searchTag(value, 0);
      while (match) {
        const found = match.name;
        if (ignore.has(found)) {
          match = searchTag(value, match.end);
          continue;
        }
        if (found === tag || (counts.get(found) ?? 1) > MAX_TAG_REPLACE_COUNT) {
          throw new TagRecursionError(tag, found, value);
        }
        let replacement: string | undefined;
        if (options.conditional) replacement = tags.get(`${found}?${options.conditional}`);
        replacement ??= tags.get(found) ?? options.fallback?.(found);
        if (replacement === undefined) {
          match = searchTag(value, match.end);
          continue;
        }
        value = value.split(`<${found}>`).join(replacement);
        if (value.length > MAX_TAG_VALUE_LENGTH) {
          throw new TagRecursionError(
            tag,
            found,
            `${value.slice(0, 80)}... (grows past ${MAX_TAG_VALUE_LENGTH} characters)`,
          );
        }
        counts.set(found, (counts.get(found) ?? 0) + 1);
        match = searchTag(value, match.start);
      }
      if (value !== original) {
        // Still holding a tag: a later pass may resolve it (embedded `<a-<b>>`).
        if (searchTag(value, 0)) {
          repeatCounts.set(tag, counts);
          again = true;
        }
        tags.set(tag, value);
      }
      if (!value.includes("<")) done.add(tag);
    }
    if (!again) return tags;
  }
}

/** Options of {@link replaceTags}. */
export interface ReplaceTagOptions extends TagOptions {
  /** Tags whose values come from log text (fail2ban: `matches`, `ipmatches`, `ipjailmatches`). */
  readonly escapedTags?: ReadonlySet<string>;
  /** Quoting applied to the values of `escapedTags` (a shell quoting function for command actions). */
  readonly escape?: (value: string) => string;
  /**
   * Resolve tags inside `values` and repeat while replacements bring new tags (configuration values). Pass false for
   * values computed per ban, as fail2ban does: one pass, nothing inside a value is ever looked at.
   * @default true
   */
  readonly recursive?: boolean;
}

// Marks where an escaped value goes until every other tag is replaced: it holds no `<`, so no pass rescans it.
const SLOT = /\u0000(\d+)\u0000/g;

/**
 * Replaces the `<tag>`s of one string (an action command, a failregex) with `values`. By default it first resolves
 * tags inside `values` ({@link substituteTags}) and repeats while a replacement produced new tags; unknown tags stay;
 * `<br>` and `<sp>` become a newline and a space unless `values` defines them. Values of `escapedTags` are quoted
 * with `escape`, are never resolved, and their text is never scanned for tags, so log text cannot inject tags.
 *
 * @example
 * replaceTags("iptables -I <chain> -s <ip> -j <blocktype>", new Map([["chain", "INPUT"], ["ip", "192.0.2.1"],
 *   ["blocktype", "DROP"]])) // "iptables -I INPUT -s 192.0.2.1 -j DROP"
 */
export function replaceTags(
  text: string,
  values: ReadonlyMap<string, string>,
  options: ReplaceTagOptions = {},
): string {
  if (!text.includes("<")) return text;
  const escaped = options.escapedTags ?? new Set<string>();
  const recursive = options.recursive ?? true;
  const resolved = recursive
    ? substituteTags(values, { ...options, ignore: [...(options.ignore ?? []), ...escaped] })
    : values;
  const builtin = new Map([
    ["br", "\n"],
    ["sp", " "],
  ]);
  const slots: string[] = [];
  let query = text;
  for (let count = MAX_TAG_REPLACE_COUNT + 1; ; ) {
    const next = query.replace(TAG, (whole, tag: string) => {
      let value: string | undefined;
      if (options.conditional) value = resolved.get(`${tag}?${options.conditional}`);
      value ??= resolved.get(tag);
      if (value === undefined) return builtin.get(tag) ?? whole;
      if (!escaped.has(tag)) return value;
      slots.push(options.escape ? options.escape(value) : value);
      return `\u0000${slots.length - 1}\u0000`;
    });
    if (!recursive || next === query || !next.includes("<")) {
      return slots.length === 0 ? next : next.replace(SLOT, (_whole, index: string) => slots[Number(index)]!);
    }
    query = next;
    count -= 1;
    if (count <= 0) throw new TagRecursionError("<command>", "...", `replacement does not end in: ${text}`);
  }
}

function searchTag(value: string, from: number): { name: string; start: number; end: number } | undefined {
  TAG.lastIndex = from;
  const match = TAG.exec(value);
  if (!match) return undefined;
  return { name: match[1]!, start: match.index, end: match.index + match[0].length };
}

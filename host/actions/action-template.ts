// Turns an action.d command template into a shell script in two stages, because the two kinds of values differ in
// trust. Configuration values (the action's [Init], the jail's arguments: name, port, chain ...) are written by the
// administrator and are substituted as text, recursively, as fail2ban does. Ticket values (the address, the matched
// log lines, user names captured by the filter ...) come from attackers: they never enter the script text. Each such
// tag becomes a reference to an environment variable, quoted for the place it sits in (unquoted, inside "..." or
// inside '...'), so the shell expands it as exactly one word and never evaluates it.
import { ConfigError } from "../../shared/errors.js";

/** Tags whose values come from a ban ticket (and so from logs) rather than from configuration. */
export const TICKET_TAGS: ReadonlySet<string> = new Set([
  "ip",
  "ip-rev",
  "ip-host",
  "fid",
  "family",
  "failures",
  "time",
  "bantime",
  "bancount",
  "matches",
  "ipmatches",
  "ipjailmatches",
  "ipfailures",
  "ipjailfailures",
  "restored",
  "ips",
  "ipcount",
]);

const TAG = /<([A-Za-z_][\w./-]*)>/g;
const TAG_HERE = /<([A-Za-z_][\w./-]*)>/y;

/** True for tags filled from a ticket at ban time, including the filter's captured `F-*` fields. */
export function isTicketTag(tag: string): boolean {
  return TICKET_TAGS.has(tag) || /^F-[\w-]+$/.test(tag);
}

/** The environment variable carrying a ticket tag's value, e.g. `F-USER` → `CJ_F_USER`. */
export function ticketTagVariable(tag: string): string {
  return `CJ_${tag.replace(/[^A-Za-z0-9]/g, "_").toUpperCase()}`;
}

/**
 * Substitutes configuration tags in `template` from `values` (then `where.fallback`, e.g. fail2ban's
 * `<section/option>` references), recursively (a value may hold tags itself), leaving
 * ticket tags in place for {@link bindTicketTags}. A tag nothing defines stays as written (fail2ban does the same)
 * and is reported through `where.unknown`; a cycle is a ConfigError, raised at start, not at the first ban.
 */
export function substituteConfigTags(
  template: string,
  values: Readonly<Record<string, string>>,
  where: {
    file?: string;
    option?: string;
    fallback?: (tag: string) => string | undefined;
    /** Told of a tag nothing defines; it stays as written, as in fail2ban (`From: Fail2Ban <<sender>>`). */
    unknown?: (tag: string) => void;
  } = {},
): string {
  const lookup = (tag: string): string | undefined => {
    const value = values[tag] ?? values[tag.toLowerCase()] ?? where.fallback?.(tag);
    if (value !== undefined) return value;
    return tag === "br" ? "\n" : tag === "sp" ? " " : undefined;
  };
  // Innermost tags first: `<rule-<type>>` becomes `<rule-allports>`, which the next pass resolves.
  let text = template;
  for (let pass = 0; ; pass++) {
    if (pass > 50)
      throw new ConfigError("tags refer to each other without end", { file: where.file, option: where.option });
    let changed = false;
    text = text.replace(TAG, (whole, tag: string) => {
      if (isTicketTag(tag)) return whole;
      const value = lookup(tag);
      if (value === undefined) {
        where.unknown?.(tag);
        return `\u0000${tag}\u0001`;
      }
      if (value.includes(whole)) {
        throw new ConfigError(`tag <${tag}> refers to itself`, { file: where.file, option: where.option });
      }
      changed = true;
      return value;
    });
    if (!changed) return text.replace(/\u0000([^\u0001]*)\u0001/g, "<$1>");
  }
}

type QuoteState = "none" | "single" | "double";

/**
 * Replaces every ticket tag left in `script` by a quoted reference to its environment variable and returns the
 * script with the tags it uses. Shell quoting is tracked so that the reference works in every position:
 * unquoted `"${V}"`, inside double quotes `${V}`, inside single quotes `'"${V}"'` (close, expand, reopen).
 */
export function bindTicketTags(script: string): { script: string; tags: string[] } {
  const tags = new Set<string>();
  let out = "";
  let state: QuoteState = "none";
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (c === "<") {
      TAG_HERE.lastIndex = i;
      const match = TAG_HERE.exec(script);
      if (match && isTicketTag(match[1]!)) {
        const tag = match[1]!;
        tags.add(tag);
        const reference = `\${${ticketTagVariable(tag)}}`;
        out += state === "none" ? `"${reference}"` : state === "double" ? reference : `'"${reference}"'`;
        i += match[0].length - 1;
        continue;
      }
    }
    out += c;
    if (state === "single") {
      if (c === "'") state = "none";
    } else if (c === "\\") {
      // An escaped character keeps its literal meaning in both other states.
      if (i + 1 < script.length) out += script[++i];
    } else if (c === '"') state = state === "double" ? "none" : "double";
    else if (c === "'" && state === "none") state = "single";
    else if (c === "#" && state === "none" && (i === 0 || /\s/.test(script[i - 1]!))) {
      // A comment runs to the end of the line: copy it as it is.
      const end = script.indexOf("\n", i);
      const stop = end < 0 ? script.length : end;
      out += script.slice(i + 1, stop);
      i = stop - 1;
    }
  }
  return { script: out, tags: [...tags] };
}

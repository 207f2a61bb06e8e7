import { ConfigError, type ConfigLocation } from "../errors.js";

/** A filter or action reference with its arguments: `sshd[mode=aggressive]` is `{name: "sshd", options: {mode: ...}}`. */
export interface OptionSpec {
  readonly name: string;
  readonly options: Record<string, string>;
}

// name, then optionally everything between the first `[` and the last `]`.
const SPEC = /^([^[]+)(?:\[(.*)\])?\s*$/s;
// One `key=value` of an argument list: value double-quoted, single-quoted or bare (no `,` nor `]`); arguments are
// separated by `,` or by `][` (several groups: `act[a=1][b=2]`). `bad*` catch what follows a broken argument. A key
// may name a conditional option (`blocktype?family=inet6=...`, fail2ban 1.1.1).
const ARGUMENT =
  /\s*([\p{L}\p{N}_\-.]+(?:\?[\p{L}\p{N}_\-.]+=[\p{L}\p{N}_\-.]+)?)=(?:"([^"]*)"|'([^']*)'|([^,\]]*))(?:,|\]\s*\[|(?=\n?$)|(?<badAfter>.+))|,?\s*(?=\n?$)|(?<badArgument>.+)/suy;
// One spec of a list: a name with an optional argument group (arguments may hold spaces and new lines), or any
// other word; specs are separated by whitespace.
const LIST_ITEM =
  /(?:[^[\s]+(?:\s*\[\s*(?:[\p{L}\p{N}_\-.]+(?:\?[\p{L}\p{N}_\-.]+=[\p{L}\p{N}_\-.]+)?=(?:"[^"]*"|'[^']*'|[^,\]]*)\s*(?:,|\]\s*\[)?\s*)*\])?\s*|\S+)(?=\n\s*|\s+|$)/gsu;

/**
 * Parses one filter or action reference as written in a jail (`filter = sshd[mode=aggressive]`, `action =
 * iptables[name=SSH, port="ssh,sftp"]`), with fail2ban's syntax: arguments `key=value` separated by commas, values
 * bare (up to the next `,` or `]`), `"double"` or `'single'` quoted (commas allowed inside), surrounding spaces
 * trimmed, several groups allowed (`name[a=1][b=2]`). A name is kept exactly as written up to the first `[`.
 * Throws a {@link ConfigError} (at `where`) quoting the offending text when the syntax is wrong.
 *
 * @example
 * parseOptionSpec(`sshd[mode=aggressive, k="a,b", x='y']`) // {name: "sshd", options: {mode: "aggressive", k: "a,b", x: "y"}}
 */
export function parseOptionSpec(text: string, where: ConfigLocation = {}): OptionSpec {
  const spec = SPEC.exec(text);
  if (!spec) throw new ConfigError(`expected 'name' or 'name[key=value, ...]', found '${text}'`, where);
  const name = spec[1]!;
  const argumentText = spec[2];
  const options: Record<string, string> = {};
  if (!argumentText) return { name, options };
  let index = 0;
  while (index <= argumentText.length) {
    ARGUMENT.lastIndex = index;
    const match = ARGUMENT.exec(argumentText);
    if (!match) break;
    const groups = match.groups ?? {};
    if (groups.badAfter !== undefined) {
      throw new ConfigError(
        `unexpected '${groups.badAfter.slice(0, 25)}' after argument '${match[1]}' in '${text}' (quote values holding ',' or ']')`,
        where,
      );
    }
    if (groups.badArgument !== undefined) {
      throw new ConfigError(`expected 'key=value' at '${groups.badArgument.slice(0, 25)}' in '${text}'`, where);
    }
    const key = match[1];
    if (key !== undefined) {
      const value = match[2] ?? match[3] ?? match[4] ?? "";
      options[key.trim()] = value.trim();
    }
    index = match[0].length === 0 ? index + 1 : ARGUMENT.lastIndex;
  }
  return { name, options };
}

/**
 * Splits a list of references (a jail's `action =` value, one or several per line) into the individual texts,
 * keeping each one's argument group together even when it spans lines or holds spaces; fail2ban's
 * `splitWithOptions`. Items are returned as matched (some trailing whitespace included): trim them and skip empty
 * ones, or use {@link parseOptionSpecList}.
 *
 * @example
 * splitOptionSpecs(`iptables[name=SSH, port="ssh, sftp"] sendmail`) // [`iptables[name=SSH, port="ssh, sftp"]`, "sendmail"]
 */
export function splitOptionSpecs(text: string): string[] {
  return [...text.matchAll(LIST_ITEM)].map((match) => match[0]);
}

/** Parses every reference of a list ({@link splitOptionSpecs}, then {@link parseOptionSpec}), skipping blanks. */
export function parseOptionSpecList(text: string, where: ConfigLocation = {}): OptionSpec[] {
  return splitOptionSpecs(text)
    .map((item) => item.trim())
    .filter((item) => item !== "")
    .map((item) => parseOptionSpec(item, where));
}

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join } from "node:path";
import { ConfigError } from "../errors.js";
import type { SectionValues } from "./config-value.js";
import { type ParsedIniFile, parseIni } from "./ini-parser.js";
import { KNOWN_PREFIX, LayeredConfig } from "./layered-config.js";

const INCLUDES_SECTION = "INCLUDES";
const CONDITIONAL_SECTION = /^(\w+)(\?.+)$/;
/** Deepest chain of `[INCLUDES]` followed; real configurations use two or three levels. */
export const MAX_INCLUDE_DEPTH = 32;

/**
 * The files fail2ban reads for a named configuration, in order: `X.conf`, `X.d/*.conf` (sorted), `X.local`,
 * `X.d/*.local` (sorted). `candidates` lists the patterns looked at (for "not found" messages), `existing` the files
 * that exist.
 */
export function layerFiles(baseDir: string, name: string): { candidates: string[]; existing: string[] } {
  const base = join(baseDir, name);
  const dropIns = `${base}.d`;
  const inDropIns = (ext: string) => listFiles(dropIns).filter((file) => file.endsWith(ext));
  const ordered = [`${base}.conf`, ...inDropIns(".conf"), `${base}.local`, ...inDropIns(".local")];
  return {
    candidates: [`${base}.conf`, `${dropIns}/*.conf`, `${base}.local`, `${dropIns}/*.local`],
    existing: ordered.filter(isFile),
  };
}

/**
 * Loads the named configuration `name` (e.g. `jail`, `filter.d/sshd`, `action.d/iptables`) from `baseDir` the way
 * fail2ban does: the layer files of {@link layerFiles}, each expanded with its `[INCLUDES]` `before =` / `after =`
 * files (one per line, relative to the including file's folder; a missing include is skipped, like fail2ban) and
 * with the `.local` beside every included `.conf`. Files are merged in order: a later file's options override an
 * earlier one's in the same section, the overridden values stay reachable as `%(known/name)s`.
 *
 * Throws a {@link ConfigError} naming the places looked at when no layer file exists, and naming file and line
 * for syntax errors.
 *
 * @example
 * const sshd = loadConfig("/etc/fail2ban", "filter.d/sshd");
 * sshd.get("Definition", "failregex");
 */
export function loadConfig(baseDir: string, name: string): LayeredConfig {
  if (!existsSync(baseDir)) throw new ConfigError(`configuration directory ${baseDir} does not exist`);
  const { candidates, existing } = layerFiles(baseDir, name);
  if (existing.length === 0) {
    throw new ConfigError(`no configuration '${name}' found; looked for ${candidates.join(", ")}`);
  }
  return loadConfigFiles(existing);
}

/**
 * Loads explicit files (with their includes and the `.local` beside each `.conf`) and merges them in order, like
 * {@link loadConfig} does with its layer files. Files that do not exist are skipped; if none could be read, throws.
 */
export function loadConfigFiles(files: readonly string[]): LayeredConfig {
  const reader = new IncludeReader();
  const ordered = reader.expand([...files], []);
  if (ordered.length === 0) throw new ConfigError(`none of these configuration files exists: ${files.join(", ")}`);
  const defaults: SectionValues = new Map();
  const sections = new Map<string, SectionValues>();
  for (const file of ordered) mergeFile(reader.parsed(file)!, defaults, sections);
  const layers = files.filter((file) => reader.parsed(file) !== undefined);
  return new LayeredConfig(defaults, sections, ordered, reader.warnings, layers);
}

/** Merges one parsed file into the accumulated sections, remembering overridden values as `KNOWN/<section>`. */
function mergeFile(parsed: ParsedIniFile, defaults: SectionValues, sections: Map<string, SectionValues>): void {
  for (const [name, value] of parsed.defaults) defaults.set(name, value);
  for (const [rawName, rawValues] of parsed.sections) {
    let name = rawName;
    let values = rawValues;
    const conditional = CONDITIONAL_SECTION.exec(rawName);
    if (conditional) {
      name = conditional[1]!;
      values = new Map([...rawValues].map(([option, value]) => [`${option}${conditional[2]}`, value]));
    }
    const existing = sections.get(name);
    if (!existing) {
      sections.set(name, new Map(values));
      continue;
    }
    let known = sections.get(`${KNOWN_PREFIX}${name}`);
    if (!known) {
      known = new Map();
      sections.set(`${KNOWN_PREFIX}${name}`, known);
    }
    for (const [option, value] of existing) if (values.has(option)) known.set(option, value);
    for (const [option, value] of values) existing.set(option, value);
  }
}

/** Resolves `[INCLUDES]` recursively, parsing each file once per load. */
class IncludeReader {
  readonly warnings: string[] = [];
  private readonly cache = new Map<string, ParsedIniFile | undefined>();

  parsed(file: string): ParsedIniFile | undefined {
    if (!this.cache.has(file)) this.cache.set(file, readIni(file));
    return this.cache.get(file);
  }

  /** The files to merge for `files`, each preceded by its `before` and followed by its `after` includes. */
  expand(files: string[], seen: readonly string[]): string[] {
    const out: string[] = [];
    for (const file of withLocals(files)) out.push(...this.expandOne(file, seen));
    return out;
  }

  private expandOne(file: string, seen: readonly string[]): string[] {
    if (seen.length >= MAX_INCLUDE_DEPTH) {
      // fail2ban recurses until Python gives up; a chain this long is a loop its simple check does not see.
      const loop = [...new Set([...seen, file])].join(", ");
      throw new ConfigError(`includes nested deeper than ${MAX_INCLUDE_DEPTH} levels, looping through ${loop}`, {
        file: seen[seen.length - 1] ?? file,
        section: INCLUDES_SECTION,
      });
    }
    const parsed = this.parsed(file);
    if (!parsed) return [];
    const includes = parsed.sections.get(INCLUDES_SECTION);
    if (!includes) return [file];
    const single = new LayeredConfig(parsed.defaults, new Map(parsed.sections), [file]);
    const resolve = (option: "before" | "after"): string[] => {
      // As in fail2ban, a `before`/`after` of the file's [DEFAULT] counts too.
      if (!single.hasOption(INCLUDES_SECTION, option)) return [];
      const list: string[] = [];
      for (const entry of single.get(INCLUDES_SECTION, option)!.split("\n")) {
        const target = isAbsolute(entry) ? entry : join(dirname(file), entry);
        if (seen.includes(target)) {
          this.warnings.push(`${file}: include loop through ${target} skipped`);
          continue;
        }
        list.push(...this.expand([target], [...seen, file]));
      }
      return list;
    };
    return [...resolve("before"), file, ...resolve("after")];
  }
}

/** Adds the `.local` beside each file when it exists and is not already listed. */
function withLocals(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    out.push(file);
    const ext = extname(file);
    const local = `${ext && basename(file) !== ext ? file.slice(0, -ext.length) : file}.local`;
    if (!files.includes(local) && isFile(local)) out.push(local);
  }
  return out;
}

/** Reads and parses a file; undefined when it cannot be opened (fail2ban skips such files). */
function readIni(file: string): ParsedIniFile | undefined {
  if (!isFile(file)) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw new ConfigError("file is not valid UTF-8", { file }, { cause: error });
  }
  return parseIni(text, file);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Files of a folder (full paths, sorted like fail2ban's `sorted(glob(...))`), hidden files excluded. */
function listFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => !name.startsWith("."))
    .map((name) => join(dir, name))
    .sort(byCodePoint);
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

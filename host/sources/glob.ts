// Expands fail2ban `logpath` globs (`*`, `?`, `[...]` in any path component) without a dependency:
// Node 20 has no fs.glob. Only absolute or cwd-relative patterns; no `**`, as in fail2ban.
import { readdirSync, statSync } from "node:fs";
import { isAbsolute, join, resolve, sep } from "node:path";

const magic = /[*?[]/;

/** True when the pattern holds a glob character and so may match files that do not exist yet. */
export function hasGlob(pattern: string): boolean {
  return magic.test(pattern);
}

/** Translates one path component glob to an anchored regular expression. */
export function componentRegex(component: string): RegExp {
  let source = "";
  for (let i = 0; i < component.length; i++) {
    const c = component[i]!;
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "[") {
      // as Python's fnmatch (fail2ban's glob): a ']' right after '[' or '[!' is a member, not the end of the set
      let start = i + 1;
      if (component[start] === "!") start++;
      if (component[start] === "]") start++;
      const close = component.indexOf("]", start);
      if (close < 0) source += "\\[";
      else {
        // members are literal for the regex: backslash and ']' escaped, a leading '^' is a member ('!' negates)
        let body = component
          .slice(i + 1, close)
          .replace(/\\/g, "\\\\")
          .replace(/\]/g, "\\]");
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        else if (body.startsWith("^")) body = `\\${body}`;
        source += `[${body}]`;
        i = close;
      }
    } else source += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** The regular files matching `pattern` right now, sorted; an empty list when nothing matches. */
export function expandGlob(pattern: string): string[] {
  const absolute = isAbsolute(pattern) ? pattern : resolve(pattern);
  if (!hasGlob(absolute)) return isFile(absolute) ? [absolute] : [];
  const parts = absolute.split(sep).filter((part) => part !== "");
  let candidates: string[] = [sep];
  for (const [index, part] of parts.entries()) {
    const last = index === parts.length - 1;
    const next: string[] = [];
    for (const dir of candidates) {
      if (!hasGlob(part)) {
        next.push(join(dir, part));
        continue;
      }
      const regex = componentRegex(part);
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names)
        if (regex.test(name) && (part.startsWith(".") || !name.startsWith("."))) next.push(join(dir, name));
    }
    candidates = last ? next.filter(isFile) : next;
  }
  return candidates.sort();
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** True when `path` (absolute) is matched by `pattern` (absolute, possibly a glob), without touching the disk. */
export function globMatches(pattern: string, path: string): boolean {
  if (!hasGlob(pattern)) return pattern === path;
  const patternParts = pattern.split(sep);
  const pathParts = path.split(sep);
  if (patternParts.length !== pathParts.length) return false;
  return patternParts.every((part, index) => {
    const name = pathParts[index]!;
    if (!hasGlob(part)) return part === name;
    return componentRegex(part).test(name) && (part.startsWith(".") || !name.startsWith("."));
  });
}

// fail2ban's sample logs as the differential tests use them: every line as written and without its timestamp.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fail2banSampleLogs } from "../../support/reference.js";
import { withoutDates } from "./python-oracle.js";

let cache: Map<string, string[]> | undefined;

/** Log name to its distinct lines (comments dropped), raw and with the date cut out by fail2ban's detector. */
export function sampleLogs(): ReadonlyMap<string, string[]> {
  if (cache) return cache;
  const raw = new Map<string, string[]>();
  for (const name of readdirSync(fail2banSampleLogs)) {
    const path = join(fail2banSampleLogs, name);
    if (!statSync(path).isFile()) continue;
    const lines = readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"));
    raw.set(name, lines);
  }
  const stripped = withoutDates([...raw.values()].flat());
  cache = new Map();
  let k = 0;
  for (const [name, lines] of raw) {
    const undated = stripped.slice(k, k + lines.length);
    k += lines.length;
    cache.set(name, [...new Set([...lines, ...undated])]);
  }
  return cache;
}

/** The lines of one sample log (empty when fail2ban ships none for that name). */
export function logLines(name: string): string[] {
  return sampleLogs().get(name) ?? [];
}

// The floor under `cloudjail regex`: the filter's regexes alone over the log, in this process, warm. Date template,
// prefregex and failregexes (first match, those whose literal prefix cannot match skipped) run as the engine runs
// them; no sessions, no failures, no output, no worker, no start-up. Whatever the code around them, a command that
// runs these regexes per line through V8 cannot be faster than this.
import { readFileSync } from "node:fs";
import { loadFilterDefinition } from "../shared/config/filter-definition.js";
import { filterSpecFromDefinition } from "../shared/filter/filter-spec.js";
import { LogFilter } from "../shared/filter/log-filter.js";

/** Seconds of the fastest of `runs` warm passes (after one cold pass) of the bare matching of `filter` over `log`. */
export function regexFloorSeconds(log: string, configDir: string, filter: string, runs = 5): number {
  const spec = filterSpecFromDefinition(loadFilterDefinition(configDir, filter));
  const lines = readFileSync(log, "latin1").split("\n");
  const now = Date.now() / 1000;
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run <= runs; run++) {
    const engine = new LogFilter(spec, { useDns: "raw" });
    const failRegexes = engine.failRegexes;
    const firsts = failRegexes.map((r) => (r.literalPrefix === "" ? -1 : r.literalPrefix.charCodeAt(0)));
    const started = performance.now();
    for (const line of lines) {
      if (line === "") continue;
      const date = engine.dates.findDate(line, now);
      const text = date ? `${line.slice(0, date.start)}${line.slice(date.end)}\n` : `${line}\n`;
      let content = text;
      if (engine.prefRegex) {
        const hit = engine.prefRegex.search(text);
        if (!hit) continue;
        content = `${hit.groups.content ?? ""}\n`;
      }
      const first = content.charCodeAt(0);
      for (let i = 0; i < failRegexes.length; i++) {
        if (firsts[i] !== -1 && firsts[i] !== first) continue;
        if (failRegexes[i]!.search(content)) break;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    if (run > 0) best = Math.min(best, seconds);
  }
  return best;
}

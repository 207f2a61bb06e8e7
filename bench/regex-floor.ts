// The floor under `cloudjail regex`: the filter's regexes alone over the log, in this process, warm. Date template,
// prefregex and failregexes (first match, those whose literal prefix cannot match skipped) run as the engine runs
// them; no sessions, no failures, no output, no worker, no start-up. Whatever the code around them, a command that
// runs these regexes per line through V8 cannot be faster than this.
import { readFileSync } from "node:fs";
import { loadFilterDefinition } from "../shared/config/filter-definition.js";
import { defaultTemplates } from "../shared/filter/date/default-templates.js";
import { filterSpecFromDefinition } from "../shared/filter/filter-spec.js";
import { LogFilter } from "../shared/filter/log-filter.js";
import { FailRegex } from "../shared/filter/regex/fail-regex.js";
import { numberGroups } from "../shared/filter/regex/numbered-groups.js";

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

/** The translated JavaScript RegExp of a filter regex, as the engine runs it (numbered groups), sticky at 0. */
function runnable(regex: FailRegex): RegExp {
  return new RegExp(numberGroups(regex.compiled.jsSource).source, `g${regex.compiled.jsFlags}`);
}

/**
 * The same regexes called directly, with nothing around them: the date template the log uses (its search), then
 * RegExp.exec of the translated prefregex and failregexes (prefix skip kept). No date conversion, no group objects,
 * no failures, no output. Seconds of the fastest of `runs` warm passes, and how many lines a failregex matched (to
 * show the work was done).
 */
export function rawRegexFloor(
  log: string,
  configDir: string,
  filter: string,
  runs = 5,
): { seconds: number; matchedLines: number } {
  const spec = filterSpecFromDefinition(loadFilterDefinition(configDir, filter));
  const lines = readFileSync(log, "latin1").split("\n");
  const now = Date.now() / 1000;
  const probe = new LogFilter(spec, { useDns: "raw" });
  const first = lines.find((line) => line !== "") ?? "";
  const templateName = probe.dates.findDate(first, now)?.template;
  const template = defaultTemplates().find((t) => t.name === templateName);
  const prefix = spec.prefregex ? FailRegex.compile(spec.prefregex, { useDns: "raw", prefRegex: true }) : undefined;
  const prefRegExp = prefix ? runnable(prefix) : undefined;
  const contentGroup = prefix ? 1 + prefix.groupNames.indexOf("content") : 0;
  const fails = spec.failregex.map((pattern) =>
    FailRegex.compile(pattern, { useDns: "raw", ...(prefix ? { prefix } : {}) }),
  );
  const failRegExps = fails.map(runnable);
  const firsts = fails.map((f) => (f.literalPrefix === "" ? -1 : f.literalPrefix.charCodeAt(0)));
  let best = Number.POSITIVE_INFINITY;
  let matchedLines = 0;
  for (let run = 0; run <= runs; run++) {
    const started = performance.now();
    matchedLines = 0;
    for (const line of lines) {
      if (line === "") continue;
      const date = template?.search(line);
      const text = date ? `${line.slice(0, date.start)}${line.slice(date.end)}\n` : `${line}\n`;
      let content = text;
      if (prefRegExp) {
        prefRegExp.lastIndex = 0;
        const hit = prefRegExp.exec(text);
        if (!hit) continue;
        content = `${hit[contentGroup] ?? ""}\n`;
      }
      const code = content.charCodeAt(0);
      for (let i = 0; i < failRegExps.length; i++) {
        if (firsts[i] !== -1 && firsts[i] !== code) continue;
        const regex = failRegExps[i]!;
        regex.lastIndex = 0;
        if (regex.exec(content)) {
          matchedLines++;
          break;
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    if (run > 0) best = Math.min(best, seconds);
  }
  return { seconds: best, matchedLines };
}

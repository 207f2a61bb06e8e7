// Runs fail2ban-format annotated sample logs (`# failJSON:`, `# filterOptions:`, `# fileOptions:`, `# addFILE:`)
// through our engine, the way fail2ban's samplestestcase.py does: one filter instance per option combination, kept
// for the whole file and fed every line in order; time zone CET/CEST; now = 2005-08-14 12:00 CEST; raw hosts;
// every failregex checked. Each annotated line must agree on match, host and time; each plain line must not match.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { ZoneClock } from "../../shared/filter/date/zone-clock.js";
import { filterSpecFromDefinition } from "../../shared/filter/filter-spec.js";
import { type LineContext, type LineResult, LogFilter } from "../../shared/filter/log-filter.js";
import { normalizeIp } from "../../shared/net/ip.js";

/** fail2ban's test clock: 2005-08-14 12:00:00 CEST. */
export const SAMPLE_NOW = 1124013600;
/** The date text fail2ban's tests give journal lines. */
export const SAMPLE_NOW_TEXT = "2005-08-14T12:00:00";
/** fail2ban's test time zone, as its tests set TZ (summer time ends at 02:00 summer time, unlike IANA's CET). */
export const SAMPLE_TIME_ZONE = "CET-01CEST-02,M3.5.0,M10.5.0";

/** Anything that processes lines like LogFilter. */
export interface LineProcessor {
  processLine(line: string, context: LineContext): LineResult;
}

/**
 * A LogFilter for filter `name` of `configDir` (a `.log` extension is dropped) with `options` as its arguments,
 * configured the way fail2ban's sample tests configure theirs: raw hosts, every failregex checked, the test zone.
 */
export function sampleFilter(configDir: string, name: string, options: Record<string, string>): LogFilter {
  const definition = loadFilterDefinition(configDir, { name: name.replace(/\.log$/, ""), options });
  return new LogFilter(filterSpecFromDefinition(definition), {
    useDns: "raw",
    checkAllRegex: true,
    timeZone: SAMPLE_TIME_ZONE,
  });
}

/** Makes a fresh filter for a sample file's filter name and option combination. */
export type FilterFactory = (name: string, options: Record<string, string>) => LineProcessor;

/** The verdict on one line of one option combination. */
export interface SampleVerdict {
  readonly file: string;
  readonly lineNumber: number;
  readonly line: string;
  readonly combination: string;
  readonly expected: Record<string, unknown>;
  readonly ok: boolean;
  readonly reason?: string;
  /** The line was in a journal-only block (logtype journal). */
  readonly journal: boolean;
}

const ANNOTATION = /^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$/;

/** Evaluates the few Python expressions the corpus uses in `test.condition` and `constraint`. */
export function evalCondition(expression: string, name: string, options: Record<string, unknown>): boolean {
  const e = expression.trim();
  let m = /^name\s*(==|!=)\s*'([^']*)'$/.exec(e);
  if (m) return (name === m[2]) === (m[1] === "==");
  m = /^opts\.get\('([^']+)'\)\s*(==|!=)\s*'([^']*)'$/.exec(e);
  if (m) return (options[m[1]!] === m[3]) === (m[2] === "==");
  throw new Error(`unsupported condition expression in sample: ${expression}`);
}

/** Epoch seconds of a local wall-clock time string `YYYY-MM-DDTHH:MM:SS[.ffffff]`, read like Python's mktime. */
export function localTimeToEpoch(text: string, clock: ZoneClock): number {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`bad time in sample: ${text}`);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = m[7] ? Number(`0.${m[7]}`) : 0;
  return clock.toEpoch(Date.UTC(y, mo - 1, d, h, mi, s) / 1000) + fraction;
}

function sameHost(actual: string, expected: unknown): boolean {
  if (typeof expected !== "string") return false;
  return (normalizeIp(actual) ?? actual) === (normalizeIp(expected) ?? expected);
}

interface Combination {
  readonly key: string;
  readonly filter: LineProcessor;
  readonly options: Record<string, unknown>;
}

/** Runs one sample file (and the files it adds) and returns a verdict per checked line and combination. */
export function runSampleFile(sampleDir: string, name: string, makeFilter: FilterFactory): SampleVerdict[] {
  const verdicts: SampleVerdict[] = [];
  const filters = new Map<string, LineProcessor>();
  const filterFor = (key: string, options: Record<string, string>): LineProcessor => {
    let filter = filters.get(key);
    if (!filter) {
      filter = makeFilter(name, options);
      filters.set(key, filter);
    }
    return filter;
  };
  const files = [name];
  const clock = new ZoneClock(SAMPLE_TIME_ZONE);
  let fileOptions: Record<string, unknown> = {};
  let current: Combination[] | undefined;
  for (let f = 0; f < files.length; f++) {
    const file = files[f]!;
    const lines = readFileSync(join(sampleDir, file), "utf8").split(/\r?\n/);
    if (lines.at(-1) === "") lines.pop();
    let ignoreBlock = false;
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i]!;
      let lineNumber = i + 1;
      let expected: Record<string, unknown> = {};
      const annotation = ANNOTATION.exec(line);
      if (annotation) {
        const data = JSON.parse(annotation[2]!) as unknown;
        const kind = annotation[1]!;
        if (kind === "fileOptions") {
          fileOptions = data as Record<string, unknown>;
          continue;
        }
        if (kind === "filterOptions") {
          current = [];
          ignoreBlock = false;
          for (const entry of Array.isArray(data) ? data : [data]) {
            const options = { ...fileOptions, ...(entry as Record<string, unknown>) };
            const condition = options["test.condition"];
            if (typeof condition === "string") ignoreBlock = !evalCondition(condition, name, options);
            if (ignoreBlock) continue;
            const filterOptions = Object.fromEntries(
              Object.entries(options).filter(([k]) => !k.startsWith("test.")),
            ) as Record<string, string>;
            const key = `${name}${(options["test.filter-name"] as string | undefined) ?? JSON.stringify(filterOptions)}`;
            current.push({ key, filter: filterFor(key, filterOptions), options });
          }
          continue;
        }
        if (kind === "addFILE") {
          files.push(data as string);
          continue;
        }
        expected = data as Record<string, unknown>;
        i++;
        line = lines[i] ?? "";
        lineNumber = i + 1;
      } else if (ignoreBlock || line.startsWith("#") || line.trim() === "") {
        continue;
      }
      if (ignoreBlock) continue;
      if (!current || current.length === 0) {
        current = [{ key: name, filter: filterFor(name, {}), options: {} }];
      }
      line = line.replace(/\r?\n?$/, "").replace(/\r$/, "");
      for (const combination of current) {
        const { options } = combination;
        if (typeof expected.constraint === "string" && !evalCondition(expected.constraint, name, options)) continue;
        const journal = options.logtype === "journal";
        let input = line;
        let result: LineResult;
        if (journal) {
          if (typeof options["test.prefix-line"] === "string") input = options["test.prefix-line"] + line;
          result = combination.filter.processLine(input, {
            now: SAMPLE_NOW,
            time: SAMPLE_NOW,
            timeText: SAMPLE_NOW_TEXT,
          });
        } else {
          result = combination.filter.processLine(input, { now: SAMPLE_NOW });
        }
        const found = result.failures.filter((failure) => failure.id !== "" && !failure.nofail);
        const verdict = (ok: boolean, reason?: string): void => {
          verdicts.push({
            file,
            lineNumber,
            line,
            combination: combination.key,
            expected,
            ok,
            journal,
            ...(reason ? { reason } : {}),
          });
        };
        const shouldMatch = expected.match === true;
        if (result.unidentified) {
          // fail2ban logs an error for such a match: no corpus line is meant to give one
          verdict(false, `failregex ${result.unidentified.join(", ")} matched without an address or failure id`);
          continue;
        }
        if (found.length === 0) {
          verdict(!shouldMatch, shouldMatch ? "not matched, should have" : undefined);
          continue;
        }
        if (!shouldMatch) {
          verdict(false, `matched (${found.map((x) => x.id).join(", ")}), should not have`);
          continue;
        }
        if (found.length !== 1) {
          verdict(false, `several regexes matched: ${found.map((x) => x.regexIndex).join(", ")}`);
          continue;
        }
        const failure = found[0]!;
        if ("host" in expected) {
          const host = failure.fields.host ?? failure.id;
          if (!sameHost(typeof host === "string" ? host : failure.id, expected.host)) {
            verdict(false, `host ${failure.id}, expected ${String(expected.host)}`);
            continue;
          }
          // raw hosts: the host is reported as the log wrote it (fail2ban keeps the captured text)
          if (failure.host !== undefined && failure.host !== expected.host) {
            verdict(false, `host shown as ${failure.host}, expected as written: ${String(expected.host)}`);
            continue;
          }
        }
        if (typeof expected.time === "string") {
          const want = localTimeToEpoch(expected.time, clock);
          if (failure.time === undefined || Math.abs(failure.time - want) > 1e-6) {
            verdict(false, `time ${failure.time}, expected ${want} (${expected.time})`);
            continue;
          }
        }
        verdict(true);
      }
    }
  }
  return verdicts;
}

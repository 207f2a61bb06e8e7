// Parses the arguments of `cloudjail regex` into a plan; no side effects, so it is table-tested.
import { type OutFormat, OutFormatError, parseOutFormat } from "../../shared/filter/failure-out.js";
import type { LinesToKeep } from "../../shared/filter/line-stats.js";
import { parseCommandLine, parseNowOption } from "../command-line.js";
import { UsageError } from "../usage-error.js";

/** What `cloudjail regex` was asked to do. */
export interface RegexPlan {
  readonly log: string;
  readonly filter: string;
  readonly ignoreRegex: string | undefined;
  readonly configDir: string | undefined;
  readonly raw: boolean;
  /** --usedns: how host names are handled when not --raw (fail2ban's usedns); default yes. */
  readonly useDns: "yes" | "warn" | "no" | "raw" | undefined;
  /** Summary: every failregex is tried on each line (false with --no-check-all: the first that matches). */
  readonly checkAll: boolean;
  readonly now: number | undefined;
  readonly timeZone: string | undefined;
  readonly datePattern: string | undefined;
  readonly maxLines: number | undefined;
  /** journalctl-style matches overriding the filter's `journalmatch` (LOG systemd-journal only). */
  readonly journalMatch: string | undefined;
  /** --out: what each failure prints as, instead of the summary (see failure-out). */
  readonly out: OutFormat | undefined;
  /** Summary: the kinds of lines printed in full (--print-all-matched/-ignored/-missed). */
  readonly printAll: LinesToKeep;
  /** Summary: the kinds of lines not printed at all (--print-no-ignored/-missed). */
  readonly printNo: { readonly ignored: boolean; readonly missed: boolean };
  /** -v: each line explained (which failregex, groups, date template), every regex listed with its hits. */
  readonly verbose: boolean;
  /** --debuggex: with -v, a debuggex.com link per line and regex (fail2ban-regex's --debuggex). */
  readonly debuggex: boolean;
  readonly help: boolean;
}

export const REGEX_USAGE = `usage: cloudjail regex [options] LOG FILTER [IGNOREREGEX]

Tests a filter against a log, like fail2ban-regex.

  LOG          a log file, one literal log line, or systemd-journal[journalpath=DIR, journalfiles=FILES,
               journalflags=N, namespace=NAME] (the journal, through journalctl, with the filter's journalmatch)
  FILTER       a filter name in DIR/filter.d, name[key=value, ...], a .conf path, or a literal failregex
  IGNOREREGEX  an ignoreregex (literal), or a filter from which the ignoreregex is taken

options:
  -c, --config DIR    configuration tree with filter.d/ (default: the bundled config/, or /etc/fail2ban style trees)
  -r, --raw           never resolve host names (raw hosts)
  --usedns yes|warn|no|raw
                      host names: resolved (yes, warn), ignored (no) or reported as captured (raw); default yes
  --now ISO-8601      the current time, for year inference and replays (default: the real clock)
  --timezone TZ       time zone of dates without offset (IANA name or UTC+HHMM; default: the local zone); or --TZ
  -e, --encoding E    the log's encoding: UTF-8 only (ASCII included)
  --no-check-all      summary: stop at the first failregex that matches a line (default: try them all)
  --datepattern P     date pattern overriding the filter's
  --maxlines N        lines buffered for multi-line regexes
  --journalmatch M    journalctl-style matches overriding the filter's journalmatch (systemd-journal only)
  --out json          one JSON object per failure per line on stdout; fail2ban-regex's -o forms too: id, ip,
                      msg, a captured field's name, or a template of tags such as '<fid> <time> <F-USER>'
  --print-all-matched, --print-all-ignored, --print-all-missed
                      summary: print every line of that kind (by default the first 20 ignored and missed)
  --print-no-ignored, --print-no-missed
                      summary: do not print the lines of that kind
  -v, --verbose       explain each line: the failregex that matched (number and text), the captured groups, the
                      date template; for a missed line, whether a date was found and the prefregex matched. The
                      summary then lists every regex with the addresses and times it hit (as fail2ban-regex -v)
  -D, --debuggex      with each explained line, a debuggex.com link holding the regex and the line (date cut out)
  -h, --help          this help`;

/** Parses argv (without the command name). Throws UsageError with a clear message on bad arguments. */
export function parseRegexArgs(argv: readonly string[]): RegexPlan {
  const parsed = parseCommandLine("regex", argv, {
    config: { type: "string", short: "c" },
    raw: { type: "boolean", short: "r" },
    now: { type: "string" },
    timezone: { type: "string" },
    // fail2ban-regex's other name for --timezone
    TZ: { type: "string" },
    usedns: { type: "string" },
    "no-check-all": { type: "boolean" },
    encoding: { type: "string", short: "e" },
    datepattern: { type: "string", short: "d" },
    maxlines: { type: "string", short: "L" },
    journalmatch: { type: "string", short: "m" },
    out: { type: "string", short: "o" },
    "print-all-matched": { type: "boolean" },
    "print-all-ignored": { type: "boolean" },
    "print-all-missed": { type: "boolean" },
    "print-no-ignored": { type: "boolean" },
    "print-no-missed": { type: "boolean" },
    verbose: { type: "boolean", short: "v" },
    debuggex: { type: "boolean", short: "D" },
    help: { type: "boolean", short: "h" },
  });
  const { values, positionals } = parsed;
  const help = values.help === true;
  if (!help && (positionals.length < 2 || positionals.length > 3)) {
    throw new UsageError(
      `regex: expected LOG FILTER [IGNOREREGEX], got ${positionals.length} argument(s)\n\n${REGEX_USAGE}`,
    );
  }
  const now = parseNowOption("regex", values.now);
  let maxLines: number | undefined;
  if (typeof values.maxlines === "string") {
    if (!/^\d+$/.test(values.maxlines) || Number(values.maxlines) < 1 || Number(values.maxlines) > 1000) {
      throw new UsageError(`regex: --maxlines must be a whole number from 1 to 1000; got '${values.maxlines}'`);
    }
    maxLines = Number(values.maxlines);
  }
  const useDns = values.usedns as string | undefined;
  if (useDns !== undefined && !["yes", "warn", "no", "raw"].includes(useDns)) {
    throw new UsageError(`regex: --usedns takes yes, warn, no or raw; got '${useDns}'`);
  }
  const encoding = values.encoding as string | undefined;
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
    throw new UsageError(`regex: --encoding '${encoding}': logs are read as UTF-8 (ASCII included), no other encoding`);
  }
  const journalMatch = values.journalmatch as string | undefined;
  if (journalMatch !== undefined && !/^systemd-journal(?:\[.*\])?$/s.test(positionals[0] ?? "")) {
    throw new UsageError("regex: --journalmatch goes with LOG systemd-journal");
  }
  let out: OutFormat | undefined;
  if (typeof values.out === "string") {
    try {
      out = parseOutFormat(values.out);
    } catch (error) {
      if (error instanceof OutFormatError) throw new UsageError(`regex: --out ${values.out}: ${error.message}`);
      throw error;
    }
  }
  if ((values.verbose === true || values.debuggex === true) && out !== undefined) {
    throw new UsageError(
      "regex: -v/--debuggex explain lines in the summary; --out prints failures instead: choose one",
    );
  }
  for (const kind of ["ignored", "missed"] as const) {
    if (values[`print-all-${kind}`] === true && values[`print-no-${kind}`] === true) {
      throw new UsageError(`regex: --print-all-${kind} and --print-no-${kind} exclude each other`);
    }
  }
  return {
    log: positionals[0] ?? "",
    filter: positionals[1] ?? "",
    ignoreRegex: positionals[2],
    configDir: values.config as string | undefined,
    raw: values.raw === true,
    useDns: useDns as RegexPlan["useDns"],
    checkAll: values["no-check-all"] !== true,
    now,
    timeZone: (values.timezone ?? values.TZ) as string | undefined,
    datePattern: values.datepattern as string | undefined,
    maxLines,
    journalMatch,
    out,
    printAll: {
      matched: values["print-all-matched"] === true,
      ignored: values["print-all-ignored"] === true,
      missed: values["print-all-missed"] === true,
      // fail2ban-regex's --maxlines is also its threshold for printing lines
      ...(maxLines !== undefined ? { shown: maxLines } : {}),
    },
    printNo: { ignored: values["print-no-ignored"] === true, missed: values["print-no-missed"] === true },
    verbose: values.verbose === true || values.debuggex === true,
    debuggex: values.debuggex === true,
    help,
  };
}

// The filter engine's heart: one configured filter (failregex, ignoreregex, prefregex, dates, maxlines) fed log lines
// in order, reporting failures with fail2ban's semantics, line for line. Pure and synchronous: no I/O, the clock is
// passed in, DNS names are reported for the caller to resolve.
import { isCanonicalIpv4, normalizeIp, parseIp, parseNetwork } from "../net/ip.js";
import { DateDetector, type DateDetectorOptions } from "./date/date-detector.js";
import type { Failure } from "./failure.js";
import { compileFilterRegex, type FilterRegex, type FilterRegexSplit } from "./filter-regex.js";
import { type HostPosition, mayHoldTwoAddresses, placeHost } from "./host-placement.js";
import { SessionCache } from "./session-cache.js";
import { bufferText, joinTupleLine, type TupleLine } from "./tuple-lines.js";

/** What a filter needs to run: the resolved options of a filter.d file (see shared/config). */
export interface FilterSpec {
  readonly failregex: readonly string[];
  readonly ignoreregex?: readonly string[];
  readonly prefregex?: string;
  readonly datepattern?: string;
  readonly maxlines?: number;
  /** A label used in error messages (the filter file or name). */
  readonly source?: string;
  /** Where the program writes the client address relative to client text (see host-placement). Default `any`. */
  readonly hostposition?: HostPosition;
}

/** How the filter runs. */
export interface LogFilterOptions {
  /** `raw` (fail2ban-regex --raw, and the test corpus) never resolves names; `no` ignores host names. Default `no`. */
  readonly useDns?: "yes" | "warn" | "no" | "raw";
  /** Report every failregex that matches a line, as fail2ban-regex does; daemons stop at the first. */
  readonly checkAllRegex?: boolean;
  /** Drop pending session matches (no address yet) instead of reporting them. Default true. */
  readonly ignorePending?: boolean;
  /**
   * Give each failure its log lines (`matches`). Default true; a caller that never reads them (`cloudjail regex
   * --out json`) saves joining them again for every failure.
   */
  readonly reportMatches?: boolean;
  /**
   * Filters with maxlines = 1 run without the line buffer (the thin path). Default true; false runs them through the
   * general path, which gives the same results (the tests compare the two).
   */
  readonly thinPath?: boolean;
  /** Time zone of dates without offset: IANA name; default the process's. */
  readonly timeZone?: string;
  /** fail2ban's `logtimezone`. */
  readonly logTimeZone?: string;
}

/** Per-line context: the current time, and the line's time when the transport knows it (journald, CloudWatch). */
export interface LineContext {
  /** Epoch seconds of "now": year inference, session expiry, lines without a date. */
  readonly now: number;
  /** A time already known for this line: its date is not searched. */
  readonly time?: number;
  /** The date text shown in matches when `time` is given. */
  readonly timeText?: string;
}

/** The outcome of one line: failures, and what the statistics of `cloudjail regex` need. */
export interface LineResult {
  readonly failures: Failure[];
  /** An ignoreregex matched (index of the first that did), or undefined. */
  readonly ignoredBy: number | undefined;
  /** The date template that matched, if any. */
  readonly dateTemplate: string | undefined;
  /**
   * Whether the prefregex matched (always true without a prefregex). On a line an ignoreregex took before the
   * prefregex ran, what the prefregex found last time, as fail2ban-regex counts it.
   */
  readonly prefixMatched: boolean;
  /** Buffered lines (maxlines > 1) that a failure reported in this call consumed. */
  readonly consumedLines: readonly TupleLine[];
  /**
   * maxlines > 1: earlier lines that this line's processing took out of the buffer (not the oldest one pushed out by
   * a full buffer), whole. fail2ban-regex counts them as matched instead of missed; set only when there are some.
   */
  readonly takenLines?: readonly string[];
  /**
   * Failregexes (indexes) that matched but captured neither an address nor a failure id, in the failregex nor in the
   * prefregex: nothing can be counted. A filter whose `<ADDR>` is optional is valid (fail2ban 1.1), so this is no
   * configuration error but a line the filter cannot attribute; fail2ban logs an error and goes on, so do we: the
   * caller reports it loudly. Set only when there are some.
   */
  readonly unidentified?: readonly number[];
  /**
   * A failregex matched but its address could not be told from client text (more readings than host placement
   * tries): the match was refused. Set only then.
   */
  readonly ambiguousHost?: true;
}

type FailData = Record<string, unknown> & {
  /** The distinct users of a session, in order (an array: sessions see one or two). */
  users?: string[];
  matches?: TupleLine[];
  "nofail-matches"?: TupleLine[];
  mlfpending?: number;
};

const NOFAIL = 1;
const FORGET = 2;
const CACHED_NOFAIL = 4;
const GAINED = 8;
const NO_LINES: readonly TupleLine[] = Object.freeze([]);
const NO_MATCHES: readonly string[] = Object.freeze([]);
const NO_FAILURES = Object.freeze([]) as unknown as Failure[];
/** Captured hosts whose canonical form is remembered. */
const MAX_CANONICAL_HOSTS = 4096;
/** Lines a multi-line session keeps for its report. */
const MAX_SESSION_MATCHES = 100;

/** One filter instance: feed it the lines of one log in order. Keeps the multi-line buffer and session cache. */
export class LogFilter {
  readonly failRegexes: readonly FilterRegex[];
  /**
   * The first character code of each failregex's literal prefix, or -1: a text that starts with another character
   * cannot match it (see literalPrefix), and is not searched. Saves most of the calls for filters with many regexes.
   */
  private readonly failFirstChars: Int32Array;
  readonly ignoreRegexes: readonly FilterRegex[];
  readonly prefRegex: FilterRegex | undefined;
  /** The prefregex's groups that reach failures (all but `content`). */
  private readonly prefGroupNames: readonly string[];
  /**
   * Per failregex, the prefregex groups its hits lack (and so take from the prefregex), when its hits always have
   * the same keys; undefined when that is known only per hit.
   */
  private readonly prefGroupsToAdd: ReadonlyArray<readonly string[] | undefined>;
  /**
   * Per failregex, the prefregex groups it has too (when its hits always have the same keys): an optional group the
   * failregex left unset keeps the prefregex's value (fail2ban 1.1.1; 1.0 let the unset value win).
   */
  private readonly prefGroupsShared: ReadonlyArray<readonly string[] | undefined>;
  readonly dates: DateDetector;
  private readonly dateOptions: DateDetectorOptions;
  readonly maxLines: number;
  private readonly useDns: "yes" | "warn" | "no" | "raw";
  private readonly checkAllRegex: boolean;
  private readonly ignorePending: boolean;
  private readonly reportMatches: boolean;
  private readonly thinPath: boolean;
  private readonly hostPosition: HostPosition;
  /** Matches refused because their address could not be placed (see LineResult.ambiguousHost). */
  ambiguousMatches = 0;
  private readonly sessions = new SessionCache<FailData>(100, 300);
  private lineBuffer: TupleLine[] = [];
  private lastDate: number | undefined;
  private lastTimeText = "";
  /** Whether the prefregex matched the last time it ran (see LineResult.prefixMatched). */
  private lastPrefixHit = false;
  private readonly canonicalHosts = new Map<string, string>();
  private readonly plainMatched = new Map<string, LineResult>();
  private readonly plainUnmatched = new Map<string, LineResult>();

  constructor(spec: FilterSpec, options: LogFilterOptions = {}) {
    this.maxLines = Math.max(1, spec.maxlines ?? 1);
    this.useDns = options.useDns ?? "no";
    this.checkAllRegex = options.checkAllRegex ?? false;
    this.ignorePending = options.ignorePending ?? true;
    this.reportMatches = options.reportMatches ?? true;
    this.thinPath = (options.thinPath ?? true) && this.maxLines <= 1;
    this.hostPosition = spec.hostposition ?? "any";
    const multiline = this.maxLines > 1;
    const useDns = this.useDns;
    const label = spec.source ?? "filter";
    // as in fail2ban, only failregexes get re.MULTILINE with maxlines > 1: the prefregex and ignoreregexes never
    this.prefRegex =
      spec.prefregex !== undefined && spec.prefregex !== ""
        ? compileFilterRegex(spec.prefregex, { kind: "prefregex", multiline: false, useDns, label })
        : undefined;
    this.prefGroupNames = (this.prefRegex?.groupNames ?? []).filter((name) => name !== "content");
    this.failRegexes = spec.failregex.map((pattern, index) =>
      compileFilterRegex(pattern, {
        kind: "failregex",
        multiline,
        useDns,
        label,
        index,
        prefRegex: this.prefRegex,
      }),
    );
    this.prefGroupsToAdd = this.failRegexes.map((regex) => {
      const keys = regex.fixedGroupKeys;
      return keys ? this.prefGroupNames.filter((name) => !keys.includes(name)) : undefined;
    });
    this.prefGroupsShared = this.failRegexes.map((regex) => {
      const keys = regex.fixedGroupKeys;
      return keys ? this.prefGroupNames.filter((name) => keys.includes(name)) : undefined;
    });
    this.failFirstChars = Int32Array.from(this.failRegexes, (regex) =>
      regex.literalPrefix === "" ? -1 : regex.literalPrefix.charCodeAt(0),
    );
    this.ignoreRegexes = (spec.ignoreregex ?? []).map((pattern, index) =>
      compileFilterRegex(pattern, { kind: "ignoreregex", multiline: false, useDns, label, index }),
    );
    this.dateOptions = {
      ...(spec.datepattern !== undefined ? { datepattern: spec.datepattern } : {}),
      ...(options.logTimeZone !== undefined ? { logtimezone: options.logTimeZone } : {}),
      ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {}),
    };
    this.dates = new DateDetector(this.dateOptions);
  }

  /**
   * Runs every regex once on probe lines so that V8 compiles them now rather than on the first real line. The
   * filter's own state (buffer, sessions, date statistics) is untouched. Date templates are not probed: they are
   * compiled when first needed, through compile-heartbeat, which tells the guard (compiling all of them for probes
   * of other formats cost 25-40 ms at every start).
   */
  warmUp(): void {
    const probes = [
      "Jan  1 00:00:00 host daemon[1]: warm-up probe from 192.0.2.1 port 22",
      "2005-08-14 12:00:00 warm-up probe 2001:db8::1",
      '192.0.2.1 - - [14/Aug/2005:12:00:00 +0200] "GET / HTTP/1.1" 401 0',
    ];
    for (const probe of probes) {
      const text = `${probe}\n`;
      const original: TupleLine[] = [["", "", probe]];
      this.prefRegex?.search(text);
      for (const regex of this.failRegexes) {
        const hit = regex.search(text);
        if (hit) regex.split(text, hit, original);
      }
      for (const regex of this.ignoreRegexes) regex.search(text);
    }
  }

  /** Processes one log line (without its line terminator) and returns the failures it completes. */
  processLine(line: string, context: LineContext): LineResult {
    let tuple: TupleLine;
    let date: number | undefined;
    let dateTemplate: string | undefined;
    const now = context.now;
    if (context.time !== undefined) {
      tuple = ["", context.timeText ?? "", line];
      date = context.time;
      this.lastTimeText = tuple[1];
      this.lastDate = date;
    } else {
      // fail2ban cuts a template's text out of the line even when it is no valid date (February 30)
      const found = this.dates.findDate(line, now);
      if (found) {
        dateTemplate = found.template;
        const text = line.slice(found.start, found.end);
        tuple = [line.slice(0, found.start), text, line.slice(found.end)];
        if (!text) {
          if (this.lastDate !== undefined && this.lastDate > now - 60) {
            tuple = ["", this.lastTimeText, line];
            date = this.lastDate;
          } else {
            date = now;
          }
        } else if (found.time !== null) {
          date = found.time;
          this.lastTimeText = text;
          this.lastDate = date;
        }
      } else {
        tuple = ["", "", line];
      }
      if (date === undefined) {
        if (this.lastDate !== undefined && this.lastDate > now - 60) {
          tuple = ["", this.lastTimeText, line];
          date = this.lastDate;
        }
      }
    }
    if (this.maxLines <= 1) return this.findFailures(tuple, date, now, dateTemplate);
    const before = this.lineBuffer.slice(this.lineBuffer.length >= this.maxLines ? 1 : 0);
    const result = this.findFailures(tuple, date, now, dateTemplate);
    const after = this.lineBuffer;
    const taken = before.filter((line) => !after.some((kept) => sameTupleLine(kept, line)));
    return taken.length === 0 ? result : { ...result, takenLines: taken.map(joinTupleLine) };
  }

  private matchIgnore(text: string, original: readonly TupleLine[], failHit?: FilterRegexSplit): number | undefined {
    let searchText = text;
    let lines = original;
    if (failHit && this.maxLines > 1) {
      lines = failHit.matched;
      searchText = bufferText(lines);
    }
    for (let index = 0; index < this.ignoreRegexes.length; index++) {
      if (this.ignoreRegexes[index]!.search(searchText)) {
        if ((!this.checkAllRegex || this.maxLines > 1) && failHit) this.lineBuffer = failHit.unmatched;
        return index;
      }
    }
    return undefined;
  }

  private findFailures(
    tuple: TupleLine,
    date: number | undefined,
    now: number,
    dateTemplate: string | undefined,
  ): LineResult {
    let failures: Failure[] = NO_FAILURES;
    let ignoredBy: number | undefined;
    let consumed: readonly TupleLine[] = NO_LINES;
    let unidentified: number[] | undefined;
    let ambiguous = false;
    const rawHosts = this.useDns === "raw";

    // maxlines = 1, the thin path: no line buffer; `singleText` is what the buffer's text would be (the line, then
    // the prefregex's content, then nothing once a failure took the line), and the line's own list is made only when
    // a failregex matches it
    const single = this.thinPath;
    let original: TupleLine[] | undefined;
    let text: string | undefined;
    let singleText = "";
    if (!single) {
      this.lineBuffer.push(tuple);
      if (this.lineBuffer.length > this.maxLines) this.lineBuffer = this.lineBuffer.slice(-this.maxLines);
      original = this.lineBuffer;
      text = bufferText(original);
    } else {
      text = singleText = `${tuple[0]}${tuple[2]}\n`;
    }

    // fail2ban checks ignoreregex first only when there are clearly fewer of them than failregexes
    if (this.ignoreRegexes.length > 0 && this.ignoreRegexes.length < this.failRegexes.length - 2) {
      ignoredBy = this.matchIgnore(text, original ?? NO_LINES);
      // the prefregex did not run: fail2ban(-regex) then counts whatever its last search found
      if (ignoredBy !== undefined)
        return this.lineResult(
          failures,
          ignoredBy,
          consumed,
          unidentified,
          ambiguous,
          dateTemplate,
          this.prefRegex ? this.lastPrefixHit : true,
        );
    }

    let preGroups: Record<string, string | undefined> | undefined;
    if (this.prefRegex) {
      const groups = this.prefRegex.searchGroups(text);
      this.lastPrefixHit = groups !== null;
      if (!groups) return this.lineResult(failures, ignoredBy, consumed, unidentified, ambiguous, dateTemplate, false);
      // the match's groups object is ours: take the content out without `delete` (keeps the object fast)
      preGroups = groups;
      const content = preGroups.content;
      preGroups.content = undefined;
      if (content) {
        if (single) text = singleText = `${content}\n`;
        else {
          this.lineBuffer = [["", "", content]];
          text = undefined;
        }
      }
    }

    let first = -1;
    for (let index = 0; index < this.failRegexes.length; index++) {
      if (text === undefined) {
        text = single ? singleText : bufferText(this.lineBuffer);
        first = -1;
      }
      const required = this.failFirstChars[index]!;
      if (required !== -1) {
        if (first === -1) first = text.length > 0 ? text.charCodeAt(0) : -2;
        if (first !== required) continue;
      }
      const regex = this.failRegexes[index]!;
      let groups: Record<string, string | undefined>;
      let split: FilterRegexSplit;
      if (single || original!.length <= 1) {
        // one line: the whole buffer is covered, only the groups are needed
        const found = regex.searchGroups(text);
        if (!found) continue;
        groups = found;
        original ??= [tuple];
        split = { matched: original, unmatched: [] };
      } else {
        const hit = regex.search(text);
        if (!hit) continue;
        groups = hit.groups;
        split = regex.split(text, hit, original!);
      }
      if (this.hostPosition !== "any" && mayHoldTwoAddresses(text)) {
        // log injection: the address the program wrote, not one the client wrote into its own text
        const placement = placeHost(regex, text, this.hostPosition);
        if (placement.kind === "ambiguous") {
          this.ambiguousMatches++;
          ambiguous = true;
          continue;
        }
        if (placement.kind === "placed") {
          groups = placement.hit.groups;
          if (!single && original!.length > 1) split = regex.split(text, placement.hit, original!);
        }
      }
      let fail: FailData = groups;
      if (this.ignoreRegexes.length > 0) {
        const ignored = this.matchIgnore(text, original ?? NO_LINES, split);
        if (ignored !== undefined) {
          ignoredBy ??= ignored;
          text = undefined;
          if (!this.checkAllRegex) break;
          continue;
        }
      }
      if (!this.checkAllRegex || this.maxLines > 1) {
        if (single) singleText = "";
        else this.lineBuffer = split.unmatched;
        text = undefined;
      }
      consumed = split.matched;
      // fail2ban 1.1.1: the prefregex groups, updated by the failregex's that are set (an optional `<ADDR>` of the
      // failregex that did not take part leaves the prefregex's address)
      if (preGroups) {
        const toAdd = this.prefGroupsToAdd[index];
        const shared = this.prefGroupsShared[index];
        if (toAdd && shared) {
          for (let k = 0; k < toAdd.length; k++) fail[toAdd[k]!] = preGroups[toAdd[k]!];
          for (let k = 0; k < shared.length; k++) {
            const key = shared[k]!;
            if (fail[key] === undefined && preGroups[key] !== undefined) fail[key] = preGroups[key];
          }
        } else {
          for (const key of this.prefGroupNames) {
            if (fail[key] === undefined && (preGroups[key] !== undefined || !(key in fail))) fail[key] = preGroups[key];
          }
        }
      }
      const mlfid = fail.mlfid as string | undefined;
      if (mlfid !== undefined) {
        fail = this.mergeSession(mlfid, fail, split.matched, now);
        if (fail.nofail && !this.checkAllRegex)
          return this.lineResult(failures, ignoredBy, consumed, unidentified, ambiguous, dateTemplate, true);
      } else if (this.reportMatches) {
        fail.matches = fail.matches ? [...fail.matches, ...split.matched] : [...split.matched];
      }

      let fid = fail.fid as string | undefined;
      // the address captured, in fail2ban's priority: ip4, ip6 (both exact), then a host name
      const ip4 = fail.ip4 as string | undefined;
      const ip6 = fail.ip6 as string | undefined;
      const dns = fail.dns as string | undefined;
      const captured = ip4 ?? ip6 ?? dns;
      let host = captured;
      const cidr = ip4 !== undefined || ip6 !== undefined ? (fail.cidr as string | undefined) : undefined;
      let raw = host !== undefined && ip4 === undefined && ip6 === undefined ? rawHosts : true;
      if (host === undefined) {
        if (fid === undefined && mlfid === undefined) {
          fid = regex.failId(groups);
          if (fid === undefined) {
            // a match nobody can be blamed for: reported, not counted; the next failregex is tried (as fail2ban does)
            unidentified ??= [];
            unidentified.push(index);
            continue;
          }
        }
        host = fid;
        raw = true;
      }
      if (host === undefined) {
        // a session line with no address yet: remembered, reported when the address turns up
        fail.mlfpending = 1;
        if (!this.checkAllRegex && this.ignorePending)
          return this.lineResult(failures, ignoredBy, consumed, unidentified, ambiguous, dateTemplate, true);
        if (failures === NO_FAILURES) failures = [];
        failures.push(this.toFailure(index, undefined, false, undefined, date, fail));
      } else if (raw) {
        if (failures === NO_FAILURES) failures = [];
        const address = cidr ? canonicalHost(host, cidr) : this.canonicalAddress(host);
        // the captured host as written (raw hosts) or canonical; none for a failure known by its id alone
        const shown = captured === undefined ? undefined : !rawHosts ? address : cidr ? `${host}/${cidr}` : host;
        if (fid === undefined || fid === host) {
          failures.push(this.toFailure(index, address, false, undefined, date, fail, shown));
        } else {
          failures.push(this.toFailure(index, normalizeIp(fid) ?? fid, false, address, date, fail, shown));
        }
      } else {
        if (failures === NO_FAILURES) failures = [];
        const address = parseIp(host);
        if (address) failures.push(this.toFailure(index, address.text, false, undefined, date, fail, address.text));
        else if (this.useDns !== "no") failures.push(this.toFailure(index, host, true, undefined, date, fail, host));
      }
      if (!this.checkAllRegex) break;
    }
    return this.lineResult(failures, ignoredBy, consumed, unidentified, ambiguous, dateTemplate, true);
  }

  /**
   * A line's result from what findFailures found (a method, not a closure over its variables: a closure would put
   * them in a context object allocated for every line and reached through it at every use).
   */
  private lineResult(
    failures: Failure[],
    ignoredBy: number | undefined,
    consumed: readonly TupleLine[],
    unidentified: number[] | undefined,
    ambiguous: boolean,
    dateTemplate: string | undefined,
    prefixMatched: boolean,
  ): LineResult {
    if (
      failures === NO_FAILURES &&
      ignoredBy === undefined &&
      consumed === NO_LINES &&
      !ambiguous &&
      unidentified === undefined
    ) {
      return this.plainResult(dateTemplate, prefixMatched);
    }
    return {
      failures,
      ignoredBy,
      dateTemplate,
      prefixMatched,
      consumedLines: consumed,
      ...(unidentified ? { unidentified } : {}),
      ...(ambiguous ? { ambiguousHost: true as const } : {}),
    };
  }

  /**
   * The canonical form of a captured host without `<CIDR>`, remembered: an attack repeats the same few addresses,
   * and parsing an IPv6 address each time costs more than matching its line. Bounded, emptied when full.
   */
  private canonicalAddress(host: string): string {
    // the usual case, checked faster than looked up
    if (isCanonicalIpv4(host)) return host;
    let address = this.canonicalHosts.get(host);
    if (address === undefined) {
      address = canonicalHost(host, undefined);
      if (this.canonicalHosts.size >= MAX_CANONICAL_HOSTS) this.canonicalHosts.clear();
      this.canonicalHosts.set(host, address);
    }
    return address;
  }

  /**
   * The result of a line that reported nothing: one frozen object per date template, shared by all such lines, so
   * that the common case allocates nothing and a batch of results crosses to another thread as back-references.
   */
  private plainResult(dateTemplate: string | undefined, prefixMatched: boolean): LineResult {
    const key = dateTemplate ?? "";
    const cache = prefixMatched ? this.plainMatched : this.plainUnmatched;
    let result = cache.get(key);
    if (!result) {
      result = Object.freeze({
        failures: NO_FAILURES,
        ignoredBy: undefined,
        dateTemplate,
        prefixMatched,
        consumedLines: NO_LINES,
      });
      cache.set(key, result);
    }
    return result;
  }

  private toFailure(
    regexIndex: number,
    id: string | undefined,
    isHostName: boolean,
    ip: string | undefined,
    time: number | undefined,
    data: FailData,
    host?: string,
  ): Failure {
    const fields: Record<string, string | readonly string[] | undefined> = {};
    for (const key in data) {
      if (key === "matches" || key === "nofail-matches" || key === "mlfpending") continue;
      const value = data[key];
      if (typeof value === "string") fields[key] = value;
      else if (Array.isArray(value)) fields[key] = value.slice() as string[];
    }
    return {
      regexIndex,
      id: id ?? "",
      isHostName,
      ...(ip !== undefined ? { ip } : {}),
      ...(host !== undefined ? { host } : {}),
      time,
      matches: this.reportMatches ? (data.matches ?? []).map(joinTupleLine) : NO_MATCHES,
      fields,
      nofail: Boolean(data.nofail),
    };
  }

  /**
   * fail2ban's multi-line session merge (F-MLFID with NOFAIL, MLFFORGET, MLFGAINED), state kept per session id.
   * Sessions expire 5 minutes after they were stored by the caller's clock (`now`), as fail2ban's cache does by the
   * wall clock: a daemon passes the current time, a replay of a file one fixed "now", so that, like fail2ban-regex, no
   * session expires within a run. At most 100 sessions are kept (oldest dropped first) and a session keeps at most
   * MAX_SESSION_MATCHES lines, so that an attacker reusing one connection cannot grow memory or cost without bound.
   * Keys are cleared by assigning undefined, never `delete`, which would turn these hot objects into slow
   * dictionaries, and only when set: adding a key, even an undefined one, changes the object's shape.
   */
  private mergeSession(mlfid: string, current: FailData, matched: readonly TupleLine[], now: number): FailData {
    let fail = current;
    const cached = this.sessions.get(mlfid, now);
    let users: string[] | undefined;
    let flags = 0;
    if (fail.mlfgained) {
      flags |= GAINED | NOFAIL;
      if (!fail.nofail) fail.nofail = fail.mlfgained;
    } else if (fail.nofail) {
      flags |= NOFAIL;
    }
    const forget = fail.mlfforget;
    if (forget !== undefined) fail.mlfforget = undefined;
    if (forget) flags |= FORGET;
    if (cached) {
      users = addUser(cached, fail.user as string | undefined);
      if (cached.nofail) flags |= CACHED_NOFAIL;
      if (cached.nofail !== undefined) cached.nofail = undefined;
      if (cached.mlfgained) flags |= CACHED_NOFAIL;
      if (cached.mlfgained !== undefined) cached.mlfgained = undefined;
      if (flags & GAINED) cached.mlfpending = undefined;
      if ((flags & CACHED_NOFAIL) === 0 && !cached.mlfpending) cached.matches = undefined;
      for (const key in fail) {
        const value = fail[key];
        if (value !== undefined) cached[key] = value;
      }
      fail = cached;
      if (flags & FORGET) this.sessions.delete(mlfid);
    } else if (!(flags & FORGET)) {
      users = addUser(fail, fail.user as string | undefined);
      this.sessions.set(mlfid, fail, now);
    }
    const pending = fail.mlfpending;
    if (pending !== undefined) fail.mlfpending = undefined;
    if (pending || (users && users.length > 1)) {
      if (fail.nofail !== undefined) fail.nofail = undefined;
      if (fail.mlfgained !== undefined) fail.mlfgained = undefined;
      flags &= ~(GAINED | NOFAIL);
    }
    // the lines are kept only for failures that report them
    if (!this.reportMatches) return fail;
    if ((flags & NOFAIL) === 0) {
      const merged = [...(fail["nofail-matches"] ?? []), ...(fail.matches ?? [])];
      if (fail["nofail-matches"] !== undefined) fail["nofail-matches"] = undefined;
      if ((flags & GAINED) === 0) merged.push(...matched);
      fail.matches = merged.length > MAX_SESSION_MATCHES ? merged.slice(-MAX_SESSION_MATCHES) : merged;
    } else if ((flags & (NOFAIL | FORGET)) === NOFAIL) {
      const pending = [...(fail["nofail-matches"] ?? []), ...matched];
      fail["nofail-matches"] = pending.length > MAX_SESSION_MATCHES ? pending.slice(-MAX_SESSION_MATCHES) : pending;
    }
    return fail;
  }
}

/** Equal lines, part by part (fail2ban compares its buffer's tuples by value). */
function sameTupleLine(a: TupleLine, b: TupleLine): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

function addUser(data: FailData, user: string | undefined): string[] | undefined {
  if (!user) return data.users;
  if (!data.users) data.users = [user];
  else if (!data.users.includes(user)) data.users.push(user);
  return data.users;
}

/** Canonical form of a captured host: an IP (or subnet with `<CIDR>`), else the raw text as captured. */
function canonicalHost(host: string, cidr: string | undefined): string {
  if (cidr !== undefined && cidr !== "") {
    const network = parseNetwork(`${host}/${cidr}`);
    if (network) {
      const full = network.family === 4 ? 32 : 128;
      return network.prefix === full ? network.text.slice(0, network.text.lastIndexOf("/")) : network.text;
    }
  }
  return normalizeIp(host) ?? host;
}

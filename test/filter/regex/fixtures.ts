// Loads the data-driven fixtures of this folder.
import { readFileSync } from "node:fs";
import type { OracleFlags, OracleMatch } from "./python-oracle.js";

/** A pattern, its flags, and for each input text the match Python's re.search gives (null: no match). */
export interface RegexCase {
  readonly pattern: string;
  readonly flags?: OracleFlags;
  readonly inputs: ReadonlyArray<{ readonly text: string; readonly match: OracleMatch | null }>;
}

/** A pattern Python refuses, with its message and position. */
export interface RegexErrorCase {
  readonly pattern: string;
  readonly error: { readonly message: string; readonly index: number };
}

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")) as T;
}

/** The match cases of fixtures/python-regex.json. */
export function loadRegexCases(): RegexCase[] {
  return load<{ cases: RegexCase[] }>("python-regex.json").cases;
}

/** The error cases of fixtures/python-regex.json. */
export function loadRegexErrors(): RegexErrorCase[] {
  return load<{ errors: RegexErrorCase[] }>("python-regex.json").errors;
}

/** What fail2ban reports for one buffer of lines searched by a failregex. */
export interface FailMatchExpectation {
  readonly groups: Record<string, string | null | Array<string | null>>;
  readonly matchedLines: number[];
  readonly unmatchedLines: number[];
  readonly failId?: string | null;
  readonly host?: string | null;
}

/** Options of a failregex case, as FailRegex.compile takes them. */
export interface FailRegexCaseOptions {
  readonly useDns?: "yes" | "warn" | "no" | "raw";
  readonly multiline?: boolean;
  readonly prefRegex?: boolean;
}

/** fixtures/fail-regex.json: matches, compile errors (fail2ban's message) and tag expansions. */
export interface FailRegexFixtures {
  readonly cases: ReadonlyArray<{
    readonly regex: string;
    readonly options: FailRegexCaseOptions;
    readonly inputs: ReadonlyArray<{ readonly lines: string[]; readonly match: FailMatchExpectation | null }>;
  }>;
  readonly errors: ReadonlyArray<{
    readonly regex: string;
    readonly options: FailRegexCaseOptions;
    readonly fail2ban: string;
  }>;
  readonly expansions: ReadonlyArray<{
    readonly regex: string;
    readonly useDns: "yes" | "no";
    readonly expanded: string;
  }>;
}

/** The fixtures of fail-regex.json. */
export function loadFailRegexFixtures(): FailRegexFixtures {
  return load<FailRegexFixtures>("fail-regex.json");
}

/** Patterns CPython accepts that the translator refuses on purpose, with its message and position. */
export function loadUnsupported(): RegexErrorCase[] {
  return load<{ unsupported: RegexErrorCase[] }>("python-regex.json").unsupported;
}

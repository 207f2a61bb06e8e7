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

// Differential test: randomly generated filters (seeded) with [Init], [DEFAULT], .local layers, nested and embedded
// <tags>, known/ references and arguments must resolve exactly like fail2ban's FilterReader resolves them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { requireFail2ban } from "../support/reference.js";
import { type FilterCase, type ReferenceFilter, runFail2banReader } from "./reference/run-fail2ban-reader.js";

const FILTERS = 200;

/** Deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Each piece with the option names its tags (or its %(...)s, whose value may hold tags) lead to. Values only use pieces whose names come later in ORDER, so
// tags never form a loop (a loop of two or more tags makes fail2ban grow strings until memory runs out).
const PIECES: [string, string[]][] = [
  ["^x <HOST>", []],
  ["<a>", ["a"]],
  ["<b>", ["b"]],
  ["<mode>", ["mode"]],
  ["<mdre-<mode>>", ["mode", "mdre-normal", "mdre-aggressive"]],
  ["<port>", ["port"]],
  ["<c-<b>>", ["b", "c-1", "c-2"]],
  ["<known/port>", ["port"]],
  ["<known/a>", ["a"]],
  ["<lt_<logtype>/p>", ["logtype", "a"]],
  ["<F-USER>\\S+</F-USER>", []],
  ["%(__name__)s", []],
  ["%(a)s", ["a"]],
  ["%(mode)s", ["mode"]],
  ["plain text", []],
  ["<sp>", []],
  ["(?:%(__prefix)s)?", ["__prefix"]],
];
const ORDER = ["mode", "logtype", "port", "b", "c-1", "c-2", "mdre-normal", "mdre-aggressive", "a", "__prefix"];
const HELPERS = ["a", "b", "c-1", "c-2", "mdre-normal", "mdre-aggressive", "mode", "port", "__prefix"];

/** A value for option `name` (any top-level option when not in ORDER), one piece or two per line. */
function value(next: () => number, lines: number, name = ""): string {
  const rank = ORDER.indexOf(name);
  const allowed = PIECES.filter(([, refs]) => rank < 0 || refs.every((ref) => ORDER.indexOf(ref) > rank));
  const pick = () => allowed[Math.floor(next() * allowed.length)]![0];
  return Array.from({ length: lines }, () => `${pick()}${next() < 0.4 ? ` ${pick()}` : ""}`).join("\n    ");
}

function generate(next: () => number): { files: Record<string, string>; options: Record<string, string> } {
  const lines = () => 1 + Math.floor(next() * 3);
  const conf: string[] = [];
  // Most filters define what %(a)s, %(mode)s and %(__prefix)s need; the others must fail like in fail2ban.
  if (next() < 0.9) conf.push("[DEFAULT]", `a = ${value(next, 1, "a")}`, "__prefix = pre", "mode = normal", "");
  if (next() < 0.6) {
    conf.push("[Init]");
    for (const name of ["mode", "port", "a", "logtype"])
      if (next() < 0.5) conf.push(`${name} = ${value(next, 1, name)}`);
    conf.push("");
  }
  conf.push("[Definition]", `failregex = ${value(next, lines())}`);
  if (next() < 0.5) conf.push(`ignoreregex = ${value(next, lines())}`);
  if (next() < 0.3) conf.push(`prefregex = ^<F-CONTENT>${value(next, 1)}</F-CONTENT>$`);
  if (next() < 0.3) conf.push(`datepattern = ${value(next, 1)}`);
  if (next() < 0.2) conf.push(`maxlines = ${1 + Math.floor(next() * 5)}`);
  if (next() < 0.2) conf.push(`journalmatch = _SYSTEMD_UNIT=<mode>.service\n    _COMM=x`);
  for (const name of HELPERS) if (next() < 0.5) conf.push(`${name} = ${value(next, lines(), name)}`);
  conf.push("", "[lt_file]", "p = file-p <a>", "[lt_journal]", "p = journal-p");
  const files: Record<string, string> = { "filter.d/f.conf": `${conf.join("\n")}\n` };
  if (next() < 0.35) {
    const local = ["[Definition]", `failregex = ${next() < 0.5 ? "<known/failregex>" : "%(known/failregex)s"}`];
    local.push(`    ${value(next, 1)}`);
    if (next() < 0.5) local.push("[Init]", `port = ${value(next, 1, "port")}`);
    files["filter.d/f.local"] = `${local.join("\n")}\n`;
  }
  const options: Record<string, string> = {};
  if (next() < 0.5) {
    const modes = ["normal", "aggressive", "other"];
    options.mode = modes[Math.floor(next() * modes.length)]!;
  }
  if (next() < 0.3) options.port = "22";
  if (next() < 0.2) options.a = value(next, 1, "a");
  if (next() < 0.2) options.logtype = "journal";
  return { files, options };
}

describe("random filters resolved like fail2ban's FilterReader", () => {
  const root = mkdtempSync(join(tmpdir(), "cloudjail-random-filters-"));
  const cases: (FilterCase & { configDir: string; options: Record<string, string> })[] = [];
  for (let index = 0; index < FILTERS; index += 1) {
    const next = random(1000 + index);
    const { files, options } = generate(next);
    const dir = join(root, `t${index}`);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    cases.push({ name: "f", options, configDir: dir, backend: next() < 0.2 ? "systemd" : "auto" });
  }
  let reference: ReferenceFilter[] = [];

  beforeAll(() => {
    requireFail2ban();
    reference = runFail2banReader({ filters: cases }).filters;
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("generates filters that mostly resolve", () => {
    const failing = reference.filter((entry) => entry.error !== undefined).length;
    expect(failing).toBeGreaterThan(3);
    expect(failing).toBeLessThan(FILTERS / 3);
  });

  it.each(cases.map((entry, index) => [index, entry] as const))("filter %i", (_index, entry) => {
    const theirs = reference[_index]!;
    const load = () =>
      loadFilterDefinition(
        entry.configDir,
        { name: "f", options: entry.options },
        {},
        {
          backend: entry.backend,
          // fail2ban resolves a filter whatever its mode's value; ours refuses an unknown mode (filter-modes.ts)
          checkModes: false,
        },
      );
    if (theirs.error !== undefined) {
      expect(load, theirs.error).toThrow();
      return;
    }
    const ours = load();
    expect({
      failregex: ours.failregex.map((regex) => regex.pattern),
      ignoreregex: ours.ignoreregex.map((regex) => regex.pattern),
      prefregex: ours.prefregex,
      datepattern: ours.datepattern,
      maxlines: ours.maxlines,
      journalmatch: ours.journalmatch,
      logtype: ours.logtype,
    }).toEqual({
      failregex: theirs.failregex,
      ignoreregex: theirs.ignoreregex,
      prefregex: theirs.prefregex,
      datepattern: theirs.datepattern,
      maxlines: theirs.maxlines,
      journalmatch: theirs.journalmatch,
      logtype: theirs.logtype,
    });
    for (const [name, expected] of Object.entries(theirs.options ?? {})) {
      expect(ours.options[name], name).toBe(String(expected));
    }
  });
});

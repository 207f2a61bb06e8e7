// logpath globs must pick the files fail2ban would watch: fail2ban expands them with Python's glob, which matches each
// path component with fnmatch. Every pattern below is checked against Python's fnmatchcase in one process.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { componentRegex } from "../../../host/sources/glob.js";

const patterns = [
  "*.log",
  "access?.log",
  "auth.log.[0-9]",
  "[!a]x",
  "[^a]x",
  "[]a]x",
  "[!]a]x",
  "[]x",
  "[!]x",
  "[x",
  "x]",
  "[a-c]x",
  "[\\a]x",
  "[.]x",
  "a.b",
  "a+b(c)|{d}$",
  "*[*]*",
  "[?]x",
  "nginx-*-[ae]rror.log",
];
const names = [
  "bx",
  "ax",
  "^x",
  "]x",
  "!x",
  "[]x",
  "[x",
  "x]",
  "\\x",
  ".x",
  "a.b",
  "axb",
  "a+b(c)|{d}$",
  "a*b",
  "?x",
  "auth.log.1",
  "auth.log.10",
  "access1.log",
  "access.log",
  "site.log",
  "nginx-site-error.log",
  "nginx-site-arror.log",
  "nginx-site-xrror.log",
];

function pythonFnmatch(cases: ReadonlyArray<readonly [string, string]>): boolean[] {
  const script =
    "import fnmatch, json, sys\nprint(json.dumps([fnmatch.fnmatchcase(n, p) for p, n in json.load(sys.stdin)]))";
  const result = spawnSync("python3", ["-c", script], { input: JSON.stringify(cases), encoding: "utf8" });
  if (result.status !== 0) throw new Error(`python3 fnmatch failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as boolean[];
}

describe("componentRegex matches as Python's fnmatch (fail2ban's logpath globs)", () => {
  const cases = patterns.flatMap((pattern) => names.map((name) => [pattern, name] as const));
  const expected = pythonFnmatch(cases);

  it("agrees on every pattern and name", () => {
    const disagreements = cases
      .map(([pattern, name], index) => ({
        pattern,
        name,
        ours: componentRegex(pattern).test(name),
        python: expected[index],
      }))
      .filter((row) => row.ours !== row.python);
    expect(disagreements).toEqual([]);
    // the table exercises both verdicts for the set syntax
    expect(expected.filter(Boolean).length).toBeGreaterThan(20);
  });
});

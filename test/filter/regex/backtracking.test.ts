// Catastrophic backtracking: auto-possessification must defuse nested runs such as fail2ban's rfc5424 prefix,
// and no filter.d regex may take long on hostile lines (each case would take seconds to hours without it).
import { beforeAll, describe, expect, it } from "vitest";
import { FailRegex } from "../../../shared/filter/regex/fail-regex.js";
import { PyRegex } from "../../../shared/filter/regex/python-regex.js";
import { fail2banConfig, requireFail2ban } from "../../support/reference.js";
import { askPython } from "./python-oracle.js";

interface FilterRegex {
  readonly filter: string;
  readonly opt: string;
  readonly regex: string;
  readonly maxlines: string | null;
}

function timed<T>(f: () => T): [T, number] {
  const t = performance.now();
  const result = f();
  return [result, performance.now() - t];
}

describe("auto-possessive runs", () => {
  it.each([
    [String.raw`(?:\[(?:[^\]"]*|"[^"]*")*\])+x`, true],
    [String.raw`(?:(?:\d+\.)*\d+)+!`, true],
    ["(?:a*|ab)*c", false],
    ["(?:a*|b)*a", false],
    [String.raw`^\S+ x`, false],
  ])("%s possessive: %s", (pattern, possessive) => {
    expect(PyRegex.compile(pattern).jsSource.includes("(?=(?<$a")).toBe(possessive);
  });

  it("keeps the same answer with and without the rewrite", () => {
    const pattern = String.raw`(?:\[(?:[^\]"]*|"[^"]*")*\])+\s+(?P<rest>.+)`;
    const plain = PyRegex.compile(pattern, { autoPossessive: false });
    const fast = PyRegex.compile(pattern);
    for (const text of ['[a "b]" c] [d]  tail', "[x][y", '["]"]  z', "[]  q"]) {
      expect(fast.search(text)).toEqual(plain.search(text));
    }
  });
});

describe("fail2ban filters on hostile lines", () => {
  let regexes: FilterRegex[] = [];
  beforeAll(() => {
    requireFail2ban();
    regexes = askPython<FilterRegex[]>({
      kind: "f2b-filters",
      config: fail2banConfig,
      init: [{}, { logtype: "rfc5424" }, { mode: "aggressive" }],
    });
  });

  it("answers the rfc5424 sshd prefix at once on an unterminated structured-data block", () => {
    const pref = regexes.find((r) => r.filter === "sshd" && r.opt === "prefregex" && r.regex.includes('"[^"]*"'));
    expect(pref).toBeDefined();
    const re = FailRegex.compile((pref as FilterRegex).regex, { prefRegex: true });
    for (const n of [28, 5000]) {
      const [m, ms] = timed(() => re.search(` host sshd 123 - [${"a".repeat(n)} `));
      expect(m).toBeNull();
      expect(ms).toBeLessThan(100);
    }
    const ok = re.search(' host sshd 123 - [x@1 a="]"] Failed password for root from 192.0.2.1 port 22');
    expect(ok?.groups.content).toBe("Failed password for root from 192.0.2.1 port 22");
  });

  it("never backtracks for long on 2000-character hostile lines", () => {
    const units = ["a", " ", "[", "a ", "1.", "::", '"', "[a", "a:", "\t", "(", "<a", "-"];
    const prefixes = ["", " host sshd 123 - ", "Failed password for ", "1.2.3.4 "];
    let worst = 0;
    for (const r of regexes) {
      const re = FailRegex.compile(r.regex, { prefRegex: true, multiline: Number(r.maxlines ?? 1) > 1 });
      re.search("warm up");
      for (const unit of units) {
        for (const prefix of prefixes) {
          // ending with the literal every match needs, so that the prefilter lets the text reach the regex
          const [, ms] = timed(() => re.search(`${prefix}${unit.repeat(2000 / unit.length)} ${re.compiled.literal}`));
          worst = Math.max(worst, ms);
        }
      }
    }
    // Polynomial backtracking of a few tens of milliseconds remains; exponential cases would take far longer.
    expect(worst).toBeLessThan(1000);
  });
});

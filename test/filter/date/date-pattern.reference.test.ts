// The template built for a datepattern (name as fail2ban-regex shows it, regex, anchoring flags) compared with the
// one fail2ban builds: every % code, the default patterns, the datepatterns of fail2ban's filters, boundary markers.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DatePatternError } from "../../../shared/filter/date/date-errors.js";
import { DEFAULT_DATE_PATTERNS } from "../../../shared/filter/date/default-templates.js";
import { specForPattern } from "../../../shared/filter/date/template-specs.js";
import { TIME_CODES } from "../../../shared/filter/date/time-codes.js";
import { fail2banConfig } from "../../support/reference.js";
import { describeFail2banTemplates } from "./run-fail2ban-dates.js";

/** Every datepattern line in fail2ban's filter.d, %% unescaped, interpolations left out. */
function filterPatterns(): string[] {
  const dir = join(fail2banConfig, "filter.d");
  const found = new Set<string>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".conf"))) {
    const lines = readFileSync(join(dir, file), "utf8").split("\n");
    lines.forEach((line, index) => {
      if (!/^datepattern\s*=/.test(line)) return;
      const values = [line.replace(/^datepattern\s*=\s*/, "")];
      for (const next of lines.slice(index + 1)) {
        if (!/^\s+\S/.test(next)) break;
        values.push(next.trim());
      }
      for (const value of values.map((v) => v.trim()).filter(Boolean)) {
        if (!/%\(|<\w+[^>]*>/.test(value.replace(/\(\?P<\w+>/g, ""))) found.add(value.replaceAll("%%", "%"));
      }
    });
  }
  return [...found].filter(
    (pattern) => !["{^LN-BEG}", "{DEFAULT}", "{NONE}"].includes(pattern) && !/\{DATE\}/i.test(pattern),
  );
}

const codes = [...TIME_CODES.keys()].filter((code) => code !== "%");
const patterns = [
  ...DEFAULT_DATE_PATTERNS,
  ...DEFAULT_DATE_PATTERNS.map((pattern) => `{^LN-BEG}${pattern}`),
  ...filterPatterns(),
  ...codes.map((code) => `%${code}`),
  ...codes.map((code) => `^x %${code} y$`),
  "%Y-%m-%d %H:%M:%S**",
  "**%H:%M:%S",
  "{UNB}%H:%M:%S",
  "(?i)%Y-%m-%d",
  "^(?:%a )?(%H:%M:%S)",
  "%%%b",
  "  %Y-%m-%d  ",
  "EPOCH",
  "^EPOCH",
  "LEPOCH",
  "{^LN-BEG}LEPOCH",
  "^TAI64N",
  "tai64n",
  "^\\[{EPOCH}\\]",
  "ts={LEPOCH}",
];

describe("templates built for datepatterns match fail2ban's", () => {
  const reference = describeFail2banTemplates(patterns);

  it("covers the filters' patterns", () => {
    expect(filterPatterns().length).toBeGreaterThan(10);
  });

  it.each(patterns.map((pattern, index) => [pattern, index] as const))("%j", (pattern, index) => {
    const expected = reference[index]!;
    if ("error" in expected) {
      expect(() => specForPattern(pattern)).toThrow(DatePatternError);
      return;
    }
    const spec = specForPattern(pattern);
    // fail2ban names %Exk and %Exl "Ex%k"/"%Exk" depending on Python's set iteration order (hash seed): we always
    // say "%Exk". Epochs inside a pattern name their number group so that PyMatch reports it; fail2ban's is unnamed.
    const name = expected.name.replace(/Ex%([kl])/g, "%Ex$1");
    expect({ name: spec.name, regex: spec.regex.replace("(?P<_epoch_>", "("), flags: spec.flags }).toEqual({
      ...expected,
      name,
    });
  });
});

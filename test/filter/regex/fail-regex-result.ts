// Turns a FailMatch into the plain shape oracle.py reports for fail2ban, so both compare with toEqual.
import type { FailMatch, FailRegex } from "../../../shared/filter/regex/fail-regex.js";
import type { FailMatchExpectation } from "./fixtures.js";

/** The match as fail2ban's Regex/FailRegex would describe it (null for unset groups, ids caught). */
export function describeFailMatch(re: FailRegex, m: FailMatch, withIds: boolean): FailMatchExpectation {
  const groups: FailMatchExpectation["groups"] = {};
  for (const [name, value] of Object.entries(m.groups)) {
    groups[name] = value === undefined ? null : Array.isArray(value) ? value.map((v) => v ?? null) : (value as string);
  }
  for (const name of re.groupNames) if (!(name in groups)) groups[name] = null;
  const out: FailMatchExpectation = {
    groups,
    matchedLines: [...m.matchedLines],
    unmatchedLines: [...m.unmatchedLines],
  };
  if (!withIds) return out;
  const attempt = (f: () => string) => {
    try {
      return f();
    } catch {
      return null;
    }
  };
  return { ...out, failId: attempt(() => m.failId()), host: attempt(() => m.host()) };
}

import {
  type DateTemplateSpec,
  epochTemplate,
  hasEpochMark,
  parseDatePattern,
  tai64nTemplate,
} from "./date-pattern.js";

/** The key fail2ban files a pattern under: patterns without `%` codes are case-insensitive keywords. */
export function patternKey(pattern: string): string {
  return pattern.includes("%") ? pattern : pattern.toUpperCase();
}

/**
 * The template for one datepattern entry, as fail2ban builds it: the keywords `EPOCH`, `LEPOCH`, `TAI64N` (with an
 * optional `{^LN-BEG}` or `^` in front), a pattern embedding `{EPOCH}`/`{LEPOCH}`, or a strptime-style pattern.
 */
export function specForPattern(pattern: string, key = patternKey(pattern)): DateTemplateSpec {
  if (key.includes("EPOCH")) {
    if (hasEpochMark(pattern)) return epochTemplate({ pattern, long: key.includes("LEPOCH") });
    if (key === "EPOCH" || key === "{^LN-BEG}EPOCH" || key === "^EPOCH") {
      return epochTemplate({ lineBegin: key !== "EPOCH" });
    }
    if (key === "LEPOCH" || key === "{^LN-BEG}LEPOCH" || key === "^LEPOCH") {
      return epochTemplate({ lineBegin: key !== "LEPOCH", long: true });
    }
  }
  if (key === "TAI64N" || key === "{^LN-BEG}TAI64N" || key === "^TAI64N") return tai64nTemplate(key !== "TAI64N");
  return parseDatePattern(pattern);
}

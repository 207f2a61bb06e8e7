import {
  type DateTemplateSpec,
  EPOCH_RE,
  LINE_BEGIN_PREFIX,
  LONG_EPOCH_RE,
  TemplateFlags,
  WORD_END_SUFFIX,
} from "./date-pattern.js";
import { DateTemplate } from "./date-template.js";
import { compileNative } from "./native-regex.js";

// Templates are immutable once compiled, so every detector (one per jail) shares them; hits live in the detector.
const cache = new Map<string, DateTemplate>();
const CACHE_LIMIT = 1000;

/**
 * The built-in epoch templates as JavaScript. fail2ban writes them with conditional groups meant to require "]"
 * after "[1234567890" and ":N)" after "audit(1234567890": the way they are written, Python always has an empty
 * alternative or an unset optional group to fall back on, so neither condition ever rejects a match. The
 * equivalents below leave them out.
 */
function nativeEpochSource(spec: DateTemplateSpec): string {
  const number = spec.kind === "longEpoch" ? LONG_EPOCH_RE : EPOCH_RE;
  if (spec.flags & TemplateFlags.LINE_BEGIN) return `${LINE_BEGIN_PREFIX}(${number})${WORD_END_SUFFIX}`;
  return `((?:^|(?<=^\\[)|(?<=\\baudit\\())${number})${WORD_END_SUFFIX}`;
}

/** A character every match of a built-in template contains, for a cheap pre-check of each line. */
function requiredCharacter(spec: DateTemplateSpec): string | undefined {
  if (spec.kind === "tai64n") return "@";
  if (spec.kind === "strptime" && spec.pattern?.includes("%M:%S")) return ":";
  return undefined;
}

/**
 * The compiled template of a spec, from the shared cache. `builtIn` compiles the spec as one of fail2ban's own
 * templates (native JavaScript); keyword epochs and TAI64N are always built-in; anything else is a user pattern and
 * goes through the Python-regex translator (throwing DatePatternError when it does not compile).
 */
export function compiledTemplate(
  spec: DateTemplateSpec,
  options: { builtIn?: boolean; weight?: number } = {},
): DateTemplate {
  const keyword = spec.pattern === undefined && spec.kind !== "strptime";
  const native = options.builtIn === true || keyword;
  const weight = options.weight ?? 1;
  const key = `${native ? "N" : "P"}${weight}\u0000${spec.kind}\u0000${spec.name}\u0000${spec.regex}`;
  let template = cache.get(key);
  if (template) return template;
  if (native) {
    const source = keyword && spec.kind !== "tai64n" ? nativeEpochSource(spec) : spec.regex;
    template = new DateTemplate(spec, { native: compileNative(source), weight, requires: requiredCharacter(spec) });
  } else {
    template = new DateTemplate(spec, { weight });
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, template);
  return template;
}

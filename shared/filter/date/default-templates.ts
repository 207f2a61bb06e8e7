import type { DateTemplateSpec } from "./date-pattern.js";
import type { DateTemplate } from "./date-template.js";
import { compiledTemplate } from "./template-cache.js";
import { specForPattern } from "./template-specs.js";

/**
 * fail2ban's default date patterns, in its order (most common formats first). Each one is also tried anchored at the
 * line start first (see defaultTemplates).
 */
export const DEFAULT_DATE_PATTERNS: readonly string[] = [
  // ISO 8601 and simple dates: 2005-01-23T21:59:59.981746, 2005/01/23 21:59:59, syslog-ng 2006.12.21 06:43:20
  "%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?",
  // asctime, optional weekday, fraction and year: Sun Jan 23 21:59:59.011 2005
  "(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
  // asctime with the year after the day: Sun Jan 23 2005 21:59:59.011
  "(?:%a )?%b %d %ExY %k:%M:%S(?:\\.%f)?",
  // day first, 4- or 2-digit year: 23/01/2005 21:59:59, 23/01/05 21:59:59, 17-07-2008 17:23:25
  "%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S",
  // Apache with optional zone: [31/Oct/2006:09:22:55 -0000], 26-Jul-2007 15:20:52.252 +0200
  "%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\\.%f)?(?: %z)?",
  // CPanel: 05/20/2008:01:57:39
  "%m/%d/%ExY:%H:%M:%S",
  // month first with mandatory year: 01-27-2012 16:22:44.252
  "%m-%d-%ExY %k:%M:%S(?:\\.%f)?",
  "EPOCH",
  // time only
  "{^LN-BEG}%H:%M:%S",
  // <09/16/08@05:03:30>
  "^<%m/%d/%Exy@%H:%M:%S>",
  // MySQL: 130322 11:46:11
  "%Exy%Exm%Exd  ?%H:%M:%S",
  // Apache Tomcat: Jan 23, 2005 9:59:59 PM
  "%b %d, %ExY %I:%M:%S %p",
  // ASSP: Apr-27-13 02:33:06
  "^%b-%d-%Exy %k:%M:%S",
  // compact ISO 8601: 20050123T215959, 20050123 215959, 20050123  85959; since fail2ban 1.1.1 also with a dash and
  // colons (xrdp): 20050123-21:59:59
  "%ExY%Exm%Exd(?:-|T|  ?)%ExH:?%ExM:?%ExS(?:[.,]%f)?(?:\\s*%z)?",
  // named zone in front (monit): PDT Apr 16 21:05:29
  "(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
  // offset in front: +00:00 Jan 23 21:59:59.011 2005
  "(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
  "TAI64N",
];

let base: readonly DateTemplate[] | undefined;
let all: readonly DateTemplate[] | undefined;

/** The default templates themselves (no line-begin copies), in fail2ban's order; `{DATE}` wraps these. */
export function baseTemplates(): readonly DateTemplate[] {
  base ??= DEFAULT_DATE_PATTERNS.map((pattern) => compiledTemplate(specForPattern(pattern), { builtIn: true }));
  return base;
}

/**
 * The full default list: first a line-begin copy of every template that is not already anchored (weight 100, so the
 * detector prefers dates at the start of the line), then the templates themselves.
 */
export function defaultTemplates(): readonly DateTemplate[] {
  if (all) return all;
  const anchored: DateTemplate[] = [];
  for (const template of baseTemplates()) {
    const name = template.name;
    if (name.startsWith("{^LN-BEG}") || name.startsWith("^")) continue;
    const spec = specForPattern(`{^LN-BEG}${template.spec.pattern ?? name}`);
    if (spec.name !== name) anchored.push(compiledTemplate(spec, { builtIn: true, weight: 100 }));
  }
  all = [...anchored, ...baseTemplates()];
  return all;
}

/** The built-in template with the same regex as `spec`, if there is one. */
export function builtInTemplate(spec: DateTemplateSpec): DateTemplate | undefined {
  return defaultTemplates().find((template) => template.spec.kind === spec.kind && template.spec.regex === spec.regex);
}

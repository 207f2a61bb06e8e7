// Ticket values reach action scripts through the process environment, which is a C string array: it cannot carry a
// NUL byte (spawn throws, and the action would fail on every retry) nor a lone UTF-16 surrogate (no UTF-8 for it).
// Log text is attacker-written and may hold either; it is escaped here so that the action runs and still shows
// where the odd byte was.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `value` made safe for an environment variable: NUL as the four characters `\x00`, lone surrogates as U+FFFD. */
export function environmentValue(value: string): string {
  return value.replaceAll("\u0000", "\\x00").replace(LONE_SURROGATE, "\uFFFD");
}

// V8 compiles a RegExp on its first exec, and a big one takes about a millisecond (the ~50 default date templates
// together 25-45 ms). That cost is paid once, but inside whichever line first needs the regex: the guard that
// abandons slow lines must not count it against that line. Regexes built lazily are therefore compiled here, on an
// empty text, and each compilation is reported to the observer (the filter worker publishes a heartbeat that
// restarts the guard's clock). An attacker gains nothing from it: a line can trigger each compilation only once.

let observer: (() => void) | undefined;

/** Sets (or clears) the callback told of each compilation done by compiledRegExp. */
export function observeRegexCompiles(callback: (() => void) | undefined): void {
  observer = callback;
}

/** `new RegExp(source, flags)`, compiled now (for one-byte texts, the usual log line), then reported. */
export function compiledRegExp(source: string, flags: string): RegExp {
  const regex = new RegExp(source, flags);
  regex.exec("");
  regex.lastIndex = 0;
  observer?.();
  return regex;
}

/** A Python regular expression could not be translated; `index` is the position (UTF-16 offset) in `pattern`. */
export class PythonRegexError extends SyntaxError {
  override name = "PythonRegexError";
  constructor(
    readonly reason: string,
    readonly pattern: string,
    readonly index: number,
  ) {
    super(`${reason} at position ${index} in ${JSON.stringify(pattern)}`);
  }
}

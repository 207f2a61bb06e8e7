// Renders a multi-line action script on one line (dry-run output, log messages) so that it stays the same shell
// program: a pasted dry-run line must run as the script would. A newline is a command separator, except after a
// word or operator that expects more (`do`, `then`, `{`, `&&`, `|` ...), where `;` would be a syntax error.

/** Line endings after which the next line continues the same command: joined with a space, not `;`. */
const CONTINUES = /(?:^|[\s;])(?:do|then|else|elif|in|\{|\(|!)$|(?:&&|\|\||\||;)$/;

/** One line of `script`: continuations joined, blank and comment lines dropped, other newlines turned into `; `. */
export function oneLineScript(script: string): string {
  const lines = script
    .replace(/[ \t]*\\\n\s*/g, " ")
    .split("\n")
    .map((line) => line.trim())
    // a whole-line comment would comment out everything joined after it
    .filter((line) => line !== "" && !line.startsWith("#"));
  let text = "";
  for (const line of lines) {
    if (text === "") text = line;
    else text += CONTINUES.test(text) ? ` ${line}` : `; ${line}`;
  }
  return text;
}

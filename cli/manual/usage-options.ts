// Reads the options a usage text documents (`  -c, --config DIR   ...`), so that the shell completion offers
// exactly what --help shows.

/** The option words (`--config`, `-c`) at the start of the usage text's lines, in order, without repeats. */
export function usageOptions(usage: string): string[] {
  const options = new Set<string>();
  for (const line of usage.split("\n")) {
    const head = /^\s{2,}((?:-{1,2}[A-Za-z][\w-]*(?:[ =][A-Z][\w|.-]*)?(?:, |\s*\|\s*)?)+)/.exec(line);
    if (!head) continue;
    for (const word of head[1]!.matchAll(/-{1,2}[A-Za-z][\w-]*/g)) options.add(word[0]);
  }
  return [...options];
}

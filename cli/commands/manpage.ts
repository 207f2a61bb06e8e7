// `cloudjail manpage`: prints cloudjail(1) in roff, generated from the command definitions.
import type { CommandContext } from "../command-context.js";
import { manPage } from "../manual/man-page.js";
import { UsageError } from "../usage-error.js";
import { allUsages } from "./completion.js";

/** `cloudjail manpage --help`. */
export const MANPAGE_USAGE = `usage: cloudjail manpage

Prints the man page cloudjail(1) in roff (the npm package and the Debian package ship it built).
  cloudjail manpage > /usr/local/share/man/man1/cloudjail.1 && man cloudjail

options:
  -h, --help          this help`;

/** Prints the page. */
export async function run(argv: string[], _context: CommandContext): Promise<number> {
  if (argv[0] === "-h" || argv[0] === "--help") {
    process.stdout.write(`${MANPAGE_USAGE}\n`);
    return 0;
  }
  if (argv.length > 0) throw new UsageError(`manpage: takes no argument\n\n${MANPAGE_USAGE}`);
  process.stdout.write(manPage(await allUsages()));
  return 0;
}

// Where the reference fail2ban package is unpacked by scripts/prepare-test-env.mjs (outside the repository).
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const cacheRoot =
  process.env.CLOUDJAIL_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cloudjail");

/** Root of the unpacked Debian fail2ban package (holds etc/fail2ban and usr/lib/python3/dist-packages/fail2ban). */
export const fail2banRoot = join(cacheRoot, "reference", "fail2ban", "root");
/** fail2ban's own configuration tree. */
export const fail2banConfig = join(fail2banRoot, "etc", "fail2ban");
/** fail2ban's python package, with its tests/files/logs sample corpus. */
export const fail2banPython = join(fail2banRoot, "usr", "lib", "python3", "dist-packages", "fail2ban");
/** The sample logs of fail2ban's own test suite. */
export const fail2banSampleLogs = join(fail2banPython, "tests", "files", "logs");

/** Throws when `npm test` did not prepare the reference package: the tests that need it must not pass silently. */
export function requireFail2ban(): void {
  if (!existsSync(join(fail2banConfig, "filter.d"))) {
    throw new Error(`reference fail2ban missing at ${fail2banRoot}: run 'node scripts/prepare-test-env.mjs'`);
  }
}

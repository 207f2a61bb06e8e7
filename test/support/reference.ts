// Where the reference fail2ban packages are unpacked by scripts/prepare-test-env.mjs (outside the repository): the
// system's Debian fail2ban (1.0.2 on bookworm) and fail2ban 1.1 from Debian trixie.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const cacheRoot =
  process.env.CLOUDJAIL_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cloudjail");

/** The paths of one unpacked Debian fail2ban package. */
export interface ReferenceFail2ban {
  /** What the tests call it (`fail2ban 1.0.2`). */
  readonly label: string;
  /** Root of the unpacked package (holds etc/fail2ban and usr/lib/python3/dist-packages/fail2ban). */
  readonly root: string;
  /** Its configuration tree. */
  readonly config: string;
  /** Its python package. */
  readonly python: string;
  /** The sample logs of its own test suite. */
  readonly sampleLogs: string;
}

function referenceAt(folder: string, label: string): ReferenceFail2ban {
  const root = join(cacheRoot, "reference", folder, "root");
  const python = join(root, "usr", "lib", "python3", "dist-packages", "fail2ban");
  return {
    label,
    root,
    config: join(root, "etc", "fail2ban"),
    python,
    sampleLogs: join(python, "tests", "files", "logs"),
  };
}

/** The system's Debian fail2ban: 1.0.2. */
export const fail2ban102 = referenceAt("fail2ban", "fail2ban 1.0.2");
/** fail2ban 1.1 (Debian 13's package). */
export const fail2ban11 = referenceAt("fail2ban-1.1", "fail2ban 1.1");

/** Root of the unpacked Debian fail2ban package (holds etc/fail2ban and usr/lib/python3/dist-packages/fail2ban). */
export const fail2banRoot = fail2ban102.root;
/** fail2ban's own configuration tree. */
export const fail2banConfig = fail2ban102.config;
/** fail2ban's python package, with its tests/files/logs sample corpus. */
export const fail2banPython = fail2ban102.python;
/** The sample logs of fail2ban's own test suite. */
export const fail2banSampleLogs = fail2ban102.sampleLogs;

/** Throws when `npm test` did not prepare a reference package: the tests that need it must not pass silently. */
export function requireReference(reference: ReferenceFail2ban): void {
  if (!existsSync(join(reference.config, "filter.d"))) {
    throw new Error(
      `reference ${reference.label} missing at ${reference.root}: run 'node scripts/prepare-test-env.mjs'`,
    );
  }
}

/** Throws when `npm test` did not prepare the reference package: the tests that need it must not pass silently. */
export function requireFail2ban(): void {
  requireReference(fail2ban102);
}

// The product's version, printed by `cloudjail --version` and `cloudjail client version`; kept equal to
// package.json's by test/cli/version.test.ts.

/** cloudjail's version (package.json's). */
export const VERSION = "0.1.0";

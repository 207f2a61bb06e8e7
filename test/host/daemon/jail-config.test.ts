// A host jail's journal selection: the lines of a `journalmatch` are alternatives, as fail2ban's systemd backend
// adds them (a disjunction between lines), not one conjunction of every term.
import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readJails } from "../../../host/daemon/jail-config.js";
import { journalctlArgs } from "../../../host/sources/journal-source.js";
import { makeConfigDir } from "../support/test-config.js";

describe("journalmatch of a backend = systemd jail", () => {
  it.each([
    ["one line", "_SYSTEMD_UNIT=sshd.service + _COMM=sshd", "_SYSTEMD_UNIT=sshd.service + _COMM=sshd"],
    ["two lines", "_SYSTEMD_UNIT=sshd.service\n  _COMM=sshd", "_SYSTEMD_UNIT=sshd.service + _COMM=sshd"],
    [
      "three lines, one with two terms",
      "_COMM=dovecot\n  _COMM=sshd _UID=0\n  SYSLOG_IDENTIFIER=x",
      "_COMM=dovecot + _COMM=sshd _UID=0 + SYSLOG_IDENTIFIER=x",
    ],
  ])("%s: %j reads as %j", (_, journalmatch, expected) => {
    const dir = makeConfigDir({
      "jail.local": `[sshd]\nenabled = true\nbackend = systemd\njournalmatch = ${journalmatch}\n`,
    });
    try {
      const [jail] = readJails(dir);
      expect(jail!.journalmatch).toBe(expected);
      expect(journalctlArgs({ journalmatch: jail!.journalmatch })).toContain("+");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

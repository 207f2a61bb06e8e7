// The mail actions build their message with the real shell: the matched lines, written by the attacker, arrive in
// the body as data. `mailcmd` (normally /usr/sbin/sendmail) is pointed at a file so the message can be read back.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Action } from "../../../host/actions/action.js";
import { loadActionDefinition } from "../../../host/actions/action-loader.js";
import { ShellCommandRunner } from "../../../host/actions/command-runner.js";
import { bundledConfig } from "../support/test-config.js";

const dir = mkdtempSync(join(tmpdir(), "cloudjail-mail-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sendmail-whois-lines", () => {
  it("mails the ban with the matched lines verbatim and runs nothing they contain", async () => {
    const mail = join(dir, "mail.txt");
    const marker = join(dir, "pwned");
    const definition = loadActionDefinition(bundledConfig, "sendmail-whois-lines", {
      name: "sshd",
      dest: "admin@example.org",
      sender: "cloudjail@example.org",
      mailcmd: `cat > ${mail}`,
    });
    const action = new Action(definition, { runner: new ShellCommandRunner(), attempts: 1 });
    const matches = [
      "2024-05-01T10:00:00 web1 sshd[1]: Invalid user $(touch " + marker + ") from 203.0.113.7 port 22",
      "2024-05-01T10:00:01 web1 sshd[2]: Invalid user `touch " + marker + "`'\"; from 203.0.113.7 port 22",
    ];
    const outcome = await action.ban([{ ip: "203.0.113.7", failures: 2, matches }]);
    expect(outcome.failed).toEqual([]);
    const text = readFileSync(mail, "utf8");
    expect(text).toContain("Subject: [Cloudjail] sshd: banned 203.0.113.7 from ");
    expect(text).toContain("From: Cloudjail <cloudjail@example.org>\nTo: admin@example.org\n");
    expect(text).toContain("The address 203.0.113.7 has been banned by the jail sshd after 2 failures.");
    expect(text).toContain(`Lines that led to the ban:\n\n${matches.join("\n")}\n`);
    expect(text).toMatch(/whois 203\.0\.113\.7:\n\n(\(whois is not installed\)|\(whois did not answer\)|[\s\S]+)/);
    expect(existsSync(marker)).toBe(false);
  });
});

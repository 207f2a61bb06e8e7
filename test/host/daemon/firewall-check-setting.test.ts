// `firewallcheckinterval` (fail2ban.local [Definition]): the period of the firewall check, a time span; 0 turns the
// periodic check off; a bad value is a configuration error naming the file and option.
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { readDaemonSettings } from "../../../host/daemon/daemon-settings.js";
import { makeConfigDir } from "../support/test-config.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function settingsWith(line: string | undefined) {
  const dir = makeConfigDir(line === undefined ? {} : { "fail2ban.local": `[Definition]\n${line}\n` });
  dirs.push(dir);
  return readDaemonSettings(dir);
}

describe("firewallcheckinterval", () => {
  it.each([
    { line: undefined, seconds: 30 },
    { line: "firewallcheckinterval = 2m", seconds: 120 },
    { line: "firewallcheckinterval = 45", seconds: 45 },
    { line: "firewallcheckinterval = 0", seconds: 0 },
  ])("$line gives $seconds s", ({ line, seconds }) => {
    expect(settingsWith(line).firewallcheckinterval).toBe(seconds);
  });

  it("rejects a value that is no time span, naming the file and option", () => {
    expect(() => settingsWith("firewallcheckinterval = often")).toThrow(
      /fail2ban\.local:2 \[Definition\] firewallcheckinterval: /,
    );
  });
});

// Dry-run output shows each action script on one line; pasted into a shell it must be the same program.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { oneLineScript } from "../../../host/actions/one-line-script.js";

const cases: { name: string; script: string; line: string }[] = [
  { name: "separate commands", script: "echo a\necho b", line: "echo a; echo b" },
  { name: "a backslash continuation", script: "echo a \\\n   -y\necho b", line: "echo a -y; echo b" },
  {
    name: "a for loop over lines (iptables-multiport's actionstart)",
    script: "for proto in $(echo 'tcp' | sed 's/,/ /g'); do\n{ echo x; } || { echo y; }\ndone\necho z",
    line: "for proto in $(echo 'tcp' | sed 's/,/ /g'); do { echo x; } || { echo y; }; done; echo z",
  },
  {
    name: "if / then / else",
    script: "if true\nthen\necho a\nelse\necho b\nfi",
    line: "if true; then echo a; else echo b; fi",
  },
  { name: "a pipe and && at line ends", script: "printf x |\nwc -c &&\necho ok", line: "printf x | wc -c && echo ok" },
  { name: "a brace group", script: "{\necho a\necho b\n}", line: "{ echo a; echo b; }" },
  { name: "blank and comment lines", script: "echo a\n\n# why\necho b;\necho c", line: "echo a; echo b; echo c" },
];

describe("oneLineScript", () => {
  it.each(cases)("$name", ({ script, line }) => {
    expect(oneLineScript(script)).toBe(line);
  });

  it.each(cases)("$name: the line runs as the script does", ({ script }) => {
    const run = (text: string) => execFileSync("/bin/sh", ["-c", text], { encoding: "utf8" });
    expect(run(oneLineScript(script))).toBe(run(script));
  });
});

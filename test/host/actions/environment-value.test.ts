// Ticket values pass through the process environment: every string a log line can hold must become one that spawn
// accepts, and the same script must see where the odd character was.
import { describe, expect, it } from "vitest";
import { ShellCommandRunner } from "../../../host/actions/command-runner.js";
import { environmentValue } from "../../../host/actions/environment-value.js";

const cases = [
  { name: "plain text", input: "Failed password for root", output: "Failed password for root" },
  { name: "a NUL byte", input: "user a\u0000b", output: "user a\\x00b" },
  { name: "several NUL bytes", input: "\u0000\u0000", output: "\\x00\\x00" },
  { name: "a lone high surrogate", input: "x\uD800y", output: "x\uFFFDy" },
  { name: "a lone low surrogate", input: "x\uDC00y", output: "x\uFFFDy" },
  { name: "a valid surrogate pair", input: "x\uD83D\uDE00y", output: "x\uD83D\uDE00y" },
  { name: "newlines and quotes", input: "a\n'b\"$(c)", output: "a\n'b\"$(c)" },
];

describe("environmentValue", () => {
  it.each(cases)("$name", async ({ input, output }) => {
    expect(environmentValue(input)).toBe(output);
    // and the shell receives it as it is
    const result = await new ShellCommandRunner().run('printf %s "$V"', { V: environmentValue(input) }, 5000);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(output);
  });
});

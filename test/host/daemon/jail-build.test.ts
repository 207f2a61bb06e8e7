// Jails are built one by one: each broken jail gives one failure naming where (the filter file's line for a regex,
// the jail's option otherwise) and why, and the good jails are built all the same.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildJails } from "../../../host/daemon/jail-build.js";
import { makeConfigDir } from "../support/test-config.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Builds a tree with a good `sshd` jail and a jail `x` using filter.d/x.conf with `definition`. */
function build(definition: string, jail = "filter = x") {
  const dir = makeConfigDir({
    "jail.conf": `[DEFAULT]\naction = dry-run\nlogpath = /var/log/auth.log\n\n[sshd]\nenabled = true\n\n[x]\nenabled = true\n${jail}\n`,
    "filter.d/x.conf": definition,
  });
  dirs.push(dir);
  return { dir, ...buildJails(dir) };
}

describe("buildJails", () => {
  it.each([
    [
      "the second failregex line",
      "[Definition]\nfailregex = ^ok from <HOST>$\n            ^(broken from <HOST>$\n",
      (dir: string) => `${join(dir, "filter.d", "x.conf")}:3 [Definition] failregex: `,
      /missing \)/,
    ],
    [
      "an ignoreregex",
      "[Definition]\nfailregex = ^ok from <HOST>$\nignoreregex = [unclosed\n",
      (dir: string) => `${join(dir, "filter.d", "x.conf")}:3 [Definition] ignoreregex: `,
      /unterminated character set|\[/,
    ],
    [
      "an unknown filter",
      "[Definition]\nfailregex = ^ok from <HOST>$\n",
      (dir: string) => `${join(dir, "jail.conf")}:10 [x] filter: `,
      /unknown filter 'nope'/,
      "filter = nope",
    ],
  ])("reports %s with its file and line; the good jail is built", (_name, definition, where, reason, jail?: string) => {
    const { dir, configs, failures } = build(definition, jail);
    expect(configs.map((config) => config.name)).toEqual(["sshd"]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.jail).toBe("x");
    expect(failures[0]!.reason.startsWith(where(dir))).toBe(true);
    expect(failures[0]!.reason).toMatch(reason);
  });

  it("blames a broken prefregex on the prefregex, not on a failregex line", () => {
    const { failures } = build(
      "[Definition]\nprefregex = ^(unbalanced <F-CONTENT>.+</F-CONTENT>$\nfailregex = ^ok from <HOST>$\n",
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]!.reason).toMatch(/prefregex/i);
    expect(failures[0]!.reason).not.toMatch(/\[Definition\] failregex/);
  });
});

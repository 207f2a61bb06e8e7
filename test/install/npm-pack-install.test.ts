// The install path of docs/install.md, run as a user runs it: a clean clone of the repository, `npm pack` in it,
// `npm install -g ./cloudjail-<version>.tgz` (into a temporary prefix instead of /usr/local), then the installed
// command: --version, regex on the bundled sample, the quick start's dry run (SQLite's native module loads), the
// man page, the completion, the unit and the logrotate file in the package.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VERSION } from "../../shared/version.js";
import { repoRoot } from "../host/support/repo-root.js";

const work = mkdtempSync(join(tmpdir(), "cloudjail-install-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    timeout: 900_000,
    env: { ...process.env, TZ: "UTC" },
  });
  expect(result.status, `${command} ${args.join(" ")}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

describe("npm pack + npm install -g from a clean clone", () => {
  it("installs a working cloudjail", () => {
    // a clean clone of the committed sources; its build tools (esbuild) are the checkout's, linked, not downloaded
    const clone = join(work, "cloudjail");
    execFileSync("git", ["clone", "--quiet", "--no-hardlinks", repoRoot(), clone]);
    symlinkSync(join(repoRoot(), "node_modules"), join(clone, "node_modules"));
    expect(existsSync(join(clone, "dist"))).toBe(false);

    const packed = run("npm", ["pack", "--pack-destination", work, "--silent"], clone).trim().split("\n").pop()!;
    expect(packed).toBe(`cloudjail-${VERSION}.tgz`);

    const prefix = join(work, "prefix");
    run(
      "npm",
      ["install", "-g", "--prefix", prefix, join(work, packed), "--prefer-offline", "--no-audit", "--no-fund"],
      work,
    );
    const cloudjail = join(prefix, "bin", "cloudjail");
    const installed = join(prefix, "lib", "node_modules", "cloudjail");

    expect(run(cloudjail, ["--version"], work)).toBe(`cloudjail ${VERSION}\n`);

    const sample = join(installed, "config", "sample", "auth.log");
    const summary = run(cloudjail, ["regex", sample, "sshd"], work);
    expect(summary).toMatch(/^Lines: \d+ lines, \d+ ignored, [1-9]\d* matched, \d+ missed$/m);
    expect(summary).toContain(`Use   failregex filter file : sshd, basedir: ${join(installed, "config")}`);

    // the quick start: the daemon in log time over the sample, on SQLite in memory, dry-run
    const quickStart = run(
      cloudjail,
      ["server", "--once", "--dry-run", "--jail", "sshd", "--logpath", `sshd=${sample}`],
      work,
    );
    expect(quickStart).toMatch(/^[1-9]\d* address(es)? banned\.$/m);

    // npm links the man page from the package's "man" field
    const manPage = join(prefix, "share", "man", "man1", "cloudjail.1");
    expect(readFileSync(manPage, "utf8")).toBe(run(cloudjail, ["manpage"], work));
    expect(readFileSync(join(installed, "dist", "completion", "cloudjail"), "utf8")).toBe(
      run(cloudjail, ["completion", "bash"], work),
    );
    for (const file of ["systemd/cloudjail.service", "systemd/cloudjail.logrotate", "config/jail.conf", "README.md"]) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
    // sources, tests and the CDK app stay in the checkout
    for (const folder of ["test", "cdk", "node_modules/aws-cdk-lib"])
      expect(existsSync(join(installed, folder)), folder).toBe(false);
  }, 900_000);
});

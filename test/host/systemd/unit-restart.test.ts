// The systemd unit never restarts the daemon in a loop on an error a restart cannot fix: every exit status the
// command gives for such an error is in RestartPreventExitStatus, and a signal-free failure otherwise restarts it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/repo-root.js";

const unit = readFileSync(join(repoRoot(), "systemd", "cloudjail.service"), "utf8");
const setting = (name: string) =>
  unit
    .match(new RegExp(`^${name}=(.*)$`, "m"))?.[1]
    ?.trim()
    .split(/\s+/) ?? [];

// The exit statuses of cli/main.ts for errors that come back the same at every start.
const permanent = [
  { status: "1", why: "configuration error or another error the daemon explains" },
  { status: "2", why: "bad command line" },
  { status: "70", why: "internal error" },
];

describe("systemd unit", () => {
  it("restarts on failure", () => {
    expect(setting("Restart")).toEqual(["on-failure"]);
  });

  it.each(permanent)("does not restart on exit status $status ($why)", ({ status }) => {
    expect(setting("RestartPreventExitStatus")).toContain(status);
  });

  it("names the statuses main.ts gives", () => {
    const main = readFileSync(join(repoRoot(), "cli", "main.ts"), "utf8");
    const given = [...main.matchAll(/process\.exitCode = (\d+);/g)].map((match) => match[1]);
    expect(new Set(given)).toEqual(new Set(permanent.map((entry) => entry.status)));
  });
});

// Which source a jail reads: an explicit logpath wins, `backend = auto` means the files where they exist and the
// journal otherwise; the sentence logged at INFO says which and why. Table tests of the choice, then the same
// through the bundled jail.conf with a tutorial's jail.local.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildJails } from "../../../host/daemon/jail-build.js";
import { chooseLogBackend, type LogBackendInput } from "../../../host/daemon/log-backend.js";
import { bundledConfig, makeConfigDir } from "../support/test-config.js";

const conf = { value: "systemd", file: "/etc/cloudjail/jail.conf", line: 85 };
const local = { value: "/var/log/auth.log", file: "/etc/cloudjail/jail.local", line: 3 };
const base: LogBackendInput = {
  backend: "auto",
  logpaths: [{ pattern: "/var/log/auth.log", position: "head" }],
  journalmatch: "_SYSTEMD_UNIT=sshd.service + _COMM=sshd",
  matchesFile: () => true,
};
const noFile = (): boolean => false;

describe("chooseLogBackend", () => {
  it.each([
    ["auto, the file exists", {}, "files", "backend = auto: /var/log/auth.log exists"],
    ["auto, no file, a journalmatch", { matchesFile: noFile }, "journal", "no file matches logpath /var/log/auth.log"],
    ["auto, no file, no journalmatch", { matchesFile: noFile, journalmatch: "" }, "files", "no journalmatch"],
    ["auto, no logpath at all", { logpaths: [], matchesFile: noFile }, "journal", "logpath (none)"],
    [
      "systemd from jail.conf, logpath from jail.local",
      { backend: "systemd", backendOrigin: conf, logpathOrigin: local },
      "files",
      "instead of the journal of backend = systemd (/etc/cloudjail/jail.conf:85)",
    ],
    [
      "systemd and logpath both in jail.conf",
      { backend: "systemd", backendOrigin: conf, logpathOrigin: { ...local, file: "/etc/cloudjail/jail.conf" } },
      "journal",
      "backend = systemd",
    ],
    [
      "systemd written in jail.local",
      {
        backend: "systemd[journalflags=1]",
        backendOrigin: { ...conf, file: "/etc/cloudjail/jail.local" },
        logpathOrigin: local,
      },
      "journal",
      "backend = systemd",
    ],
    ["polling, even without the file", { backend: "polling", matchesFile: noFile }, "files", "backend = polling"],
  ] as const)("%s", (_name, change, kind, reason) => {
    const choice = chooseLogBackend({ ...base, ...change } as LogBackendInput);
    expect(choice.kind).toBe(kind);
    expect(choice.reason).toContain(reason);
  });
});

describe("the bundled jail.conf with a tutorial's jail.local (no backend line)", () => {
  const dir = makeConfigDir({}, bundledConfig);
  const authLog = join(dir, "auth.log");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const sshd = (jailLocal: string) => {
    writeFileSync(join(dir, "jail.local"), jailLocal);
    const { configs, failures } = buildJails(dir);
    expect(failures).toEqual([]);
    return configs.find((config) => config.name === "sshd")!;
  };

  it("reads the logpath the user names when it exists", () => {
    writeFileSync(authLog, "");
    const jail = sshd(`[sshd]\nenabled = true\nmaxretry = 3\nlogpath = ${authLog}\n`);
    expect(jail.source).toBe("files");
    expect(jail.logpaths.map((logpath) => logpath.pattern)).toEqual([authLog]);
    expect(jail.filter.options["logtype"]).toBe("file");
  });

  it("reads the journal when the log file is not there (a system without rsyslog)", () => {
    const jail = sshd(`[sshd]\nenabled = true\nlogpath = ${join(dir, "no-such-auth.log")}\n`);
    expect(jail.source).toBe("journal");
    expect(jail.journalmatch).toContain("sshd");
    // the filter reads journal lines (their heads and dates), not syslog file lines
    expect(jail.filter.options["logtype"]).toBe("journal");
    expect(jail.sourceReason).toContain("no file matches logpath");
  });

  it("reads the user's logpath even where a .conf says backend = systemd", () => {
    writeFileSync(authLog, "");
    // a distribution default in jail.d/*.conf, as Debian's defaults-debian.conf says backend = systemd
    mkdirSync(join(dir, "jail.d"), { recursive: true });
    writeFileSync(join(dir, "jail.d", "defaults-debian.conf"), "[sshd]\nbackend = systemd\n");
    try {
      const jail = sshd(`[sshd]\nenabled = true\n\nlogpath = ${authLog}\n`);
      expect(jail.source).toBe("files");
      expect(jail.filter.options["logtype"]).toBe("file");
      expect(jail.sourceReason).toMatch(/set in .*jail\.local:4\) instead of the journal of backend = systemd/);
    } finally {
      rmSync(join(dir, "jail.d"), { recursive: true, force: true });
    }
  });
});

// Cloud mode against log injection: a jail deployed from the bundled sshd filter carries the filter's host placement
// to the ingest function, whose matcher (in this thread, and in the guarded worker the Lambda runs) reports the client
// sshd named, never an address or name written into a user name. A mistyped `hostposition` fails at synth.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFilterWorker } from "../../../cdk/lambda-bundling.js";
import { loadCloudJails } from "../../../cloud/deployment/cloud-jail-file.js";
import type { LineMatcher } from "../../../cloud/ingest/line-matcher.js";
import { guardedLineMatcher, unguardedLineMatcher } from "../../../cloud/ingest/log-filter-matcher.js";
import { ConfigError } from "../../../shared/errors.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const bundledConfig = join(root, "config");
let workDir: string;
let workerPath: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "cloudjail-injection-matcher-"));
  workerPath = join(workDir, "filter-worker.mjs");
  await bundleFilterWorker(root, workerPath);
}, 120_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function loadJail(text: string) {
  const file = join(workDir, `jail-${Math.random().toString(36).slice(2)}.local`);
  writeFileSync(file, text);
  return loadCloudJails({ jailFile: file, filterConfigDir: bundledConfig }).jails[0]!;
}

const at = Date.UTC(2026, 11, 7, 10) / 1000;
const LINES: ReadonlyArray<readonly [string, string | undefined]> = [
  ["Connection closed by invalid user x 198.51.100.7 on 192.0.2.7 port 56094 [preauth]", "192.0.2.7"],
  ["Disconnected from invalid user x 198.51.100.8 on 192.0.2.8 port 5555 [preauth]", "192.0.2.8"],
  ["Connection closed by invalid user x forged.example on 192.0.2.9 port 40001 [preauth]", "192.0.2.9"],
  ["Failed password for invalid user x from forged.example port 40002 ssh2", undefined],
];

describe.each([
  ["in this thread", (jail: Parameters<typeof unguardedLineMatcher>[0]) => unguardedLineMatcher(jail)],
  ["in the guarded worker", (jail: Parameters<typeof unguardedLineMatcher>[0]) => guardedLineMatcher(jail, workerPath)],
])("the deployed sshd jail %s", (_label, makeMatcher: (jail: never) => LineMatcher) => {
  it("reports the address sshd wrote, never one from a user name", async () => {
    const jail = loadJail("[sshd]\nenabled = true\nfilter = sshd[mode=aggressive]\nloggroup = /ec2/auth.log\n");
    expect(jail.filter.hostposition).toBe("last");
    const matcher = makeMatcher(jail as never);
    const events = LINES.map(([line]) => ({
      message: `2026-12-07T10:00:00Z srv sshd-session[4242]: ${line}`,
      eventTime: at,
    }));
    const outputs = await matcher.match(events, "/ec2/auth.log/i-0123");
    expect(outputs.map((o) => o.failures.map((f) => f.ip))).toEqual(LINES.map(([, ip]) => (ip ? [ip] : [])));
    expect(outputs.map((o) => o.ambiguousHost ?? false)).toEqual(LINES.map(() => false));
  });

  it("says which event a refused match came from", async () => {
    // a filter whose lax tail (` on \S+`) could swallow the real address: the engine refuses the match
    const filterDir = mkdtempSync(join(workDir, "filters-"));
    mkdirSync(join(filterDir, "filter.d"));
    writeFileSync(
      join(filterDir, "filter.d", "laxapp.conf"),
      "[Definition]\nfailregex = ^\\s*\\S+ app: Disconnecting user \\S+ <HOST>(?: on \\S+)? port \\d+$\nhostposition = last\n",
    );
    const file = join(filterDir, "jail.local");
    writeFileSync(file, "[laxapp]\nenabled = true\nloggroup = /app\n");
    const [jail] = loadCloudJails({ jailFile: file, filterConfigDir: filterDir }).jails;
    const matcher = makeMatcher(jail as never);
    const outputs = await matcher.match(
      [
        {
          message: "2026-12-07T10:00:00Z srv app: Disconnecting user x 198.51.100.9 on 192.0.2.9 port 22",
          eventTime: at,
        },
        { message: "2026-12-07T10:00:01Z srv app: Disconnecting user x 192.0.2.10 port 22", eventTime: at },
      ],
      "/app/i-0123",
    );
    expect(outputs.map((o) => [o.ambiguousHost ?? false, o.failures.map((f) => f.ip)])).toEqual([
      [true, []],
      [false, ["192.0.2.10"]],
    ]);
  });
});

describe("hostposition at synth", () => {
  it("a jail may turn placement off explicitly", () => {
    const jail = loadJail("[sshd]\nenabled = true\nloggroup = /a\nhostposition = any\n");
    expect(jail.filter.hostposition).toBe("any");
  });

  it("a mistyped value stops the synth, naming the option", () => {
    expect(() => loadJail("[sshd]\nenabled = true\nloggroup = /a\nhostposition = lats\n")).toThrow(ConfigError);
    expect(() => loadJail("[sshd]\nenabled = true\nloggroup = /a\nhostposition = lats\n")).toThrow(
      /hostposition must be one of any, first, last, found 'lats'/,
    );
  });
});

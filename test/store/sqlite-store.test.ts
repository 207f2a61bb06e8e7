// What only the embedded store has: a file that outlives the process, several processes on one file (dbpurgeage:
// store-purge.test.ts).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJailPolicy } from "../../shared/jail/jail-policy.js";
import { JailRunner } from "../../shared/jail/jail-runner.js";
import { SqliteStore } from "../../shared/store/sqlite-store.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const T0 = Math.floor(Date.now() / 1000);

describe("SqliteStore", () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), "cloudjail-sqlite-"));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("restores active bans after a restart, in WAL mode", async () => {
    const path = join(folder, "restart.db");
    const policy = makeJailPolicy("sshd", { maxRetry: 2, banTime: 3600 });
    const first = new SqliteStore(path);
    const runner = new JailRunner({ store: first, jails: [policy] });
    await runner.recordFailure({ jail: "sshd", ip: "2001:db8::7", time: T0 });
    await runner.recordFailure({ jail: "sshd", ip: "2001:db8::7", time: T0 + 1 });
    await runner.ban("sshd", "192.0.2.70", T0 + 2);
    await first.close();

    const raw = new Database(path, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();

    const second = new SqliteStore(path);
    const restarted = new JailRunner({ store: second, jails: [policy] });
    expect((await restarted.activeBans(T0 + 10)).map((ban) => [ban.ip, ban.banUntil])).toEqual([
      ["192.0.2.70", T0 + 3602],
      ["2001:db8::7", T0 + 3601],
    ]);
    // The restored ban still stops counting, and still expires on time.
    expect(await restarted.recordFailure({ jail: "sshd", ip: "2001:db8::7", time: T0 + 20 })).toEqual({
      kind: "banned",
    });
    expect((await restarted.expireBans(T0 + 3601)).map((unban) => unban.ip)).toEqual(["2001:db8::7"]);
    await second.close();
  });

  it("counts every failure once and bans once with 8 processes writing the same file at once", async () => {
    const outDir = join(root, "node_modules", ".cache", "cloudjail-test");
    mkdirSync(outDir, { recursive: true });
    const script = join(outDir, `sqlite-writer-${process.pid}.mjs`);
    await build({
      entryPoints: [join(here, "fixtures", "sqlite-writer.ts")],
      outfile: script,
      bundle: true,
      platform: "node",
      format: "esm",
      packages: "external",
      logLevel: "error",
    });
    const path = join(folder, "processes.db");
    new SqliteStore(path).close();
    const start = Date.now() + 1500;
    const run = (writer: number) =>
      new Promise<string[]>((resolve, reject) => {
        const child = spawn(process.execPath, [script, path, `w${writer}`, "10", String(start)], { cwd: root });
        let out = "";
        let err = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
        });
        child.stderr.on("data", (chunk: Buffer) => {
          err += chunk.toString();
        });
        child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(err))));
      });
    const kinds = (await Promise.all(Array.from({ length: 8 }, (_, writer) => run(writer)))).flat();
    rmSync(script, { force: true });

    const store = new SqliteStore(path);
    expect((await store.get("sshd", "203.0.113.50"))?.entry.window).toMatchObject({ retry: 80, attempts: 80 });
    const web = kinds.filter((_, i) => i % 2 === 1);
    expect(web.filter((kind) => kind === "ban")).toHaveLength(1);
    expect(web.filter((kind) => kind === "counted")).toHaveLength(4);
    expect((await store.activeBans(T0 + 10)).map(({ entry }) => entry.fid)).toEqual(["203.0.113.51"]);
    await store.close();
  });
});

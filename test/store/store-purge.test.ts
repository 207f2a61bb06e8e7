// dbpurgeage on the stores that delete by themselves (SQLite, memory; DynamoDB leaves it to TTL): entries past
// their expiry go, those still needed (a ban in force, a permanent ban) stay.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeJailPolicy } from "../../shared/jail/jail-policy.js";
import { JailRunner } from "../../shared/jail/jail-runner.js";
import { MemoryStore } from "../../shared/store/memory-store.js";
import { SqliteStore } from "../../shared/store/sqlite-store.js";
import type { Store } from "../../shared/store/store.js";

const T0 = Math.floor(Date.now() / 1000);
const folder = mkdtempSync(join(tmpdir(), "cloudjail-purge-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe.each([
  ["sqlite", (): Store => new SqliteStore(join(folder, "purge.db"))],
  ["memory", (): Store => new MemoryStore()],
])("purge on the %s store", (_kind, open) => {
  it("deletes entries past dbpurgeage and keeps those still needed", async () => {
    const store = open();
    const policy = makeJailPolicy("sshd", { maxRetry: 1, banTime: 100, findTime: 600 });
    const runner = new JailRunner({ store, jails: [policy], purgeAge: 1000 });
    await runner.recordFailure({ jail: "sshd", ip: "192.0.2.80", time: T0 }); // ban 100 s: kept until T0 + 1300
    await runner.ban("sshd", "192.0.2.81", T0 + 500); // kept until T0 + 1800
    const permanent = new JailRunner({ store, jails: [makeJailPolicy("sshd", { banTime: -1 })], purgeAge: 1000 });
    await permanent.ban("sshd", "192.0.2.82", T0);
    const counting = new JailRunner({ store, jails: [makeJailPolicy("sshd", { maxRetry: 5 })], purgeAge: 1000 });
    await counting.recordFailure({ jail: "sshd", ip: "192.0.2.83", time: T0 }); // window only: until T0 + 600
    await runner.expireBans(T0 + 700);

    expect(await store.purge(T0 + 1299)).toBe(1); // the window of .83
    expect(await store.listByFid("192.0.2.83")).toEqual([]);
    expect(await store.get("sshd", "192.0.2.80")).toBeDefined();
    expect(await store.purge(T0 + 1300)).toBe(1);
    expect(await store.get("sshd", "192.0.2.80")).toBeUndefined();
    expect(await store.purge(T0 + 10_000_000)).toBe(1);
    expect((await store.get("sshd", "192.0.2.82"))?.entry.ban?.active).toBe(true);
    expect((await store.activeBans(T0 + 10_000_000)).map((s) => s.entry.fid)).toEqual(["192.0.2.82"]);
    expect(store.counters().purged).toBe(3);
    await store.close();
  });
});

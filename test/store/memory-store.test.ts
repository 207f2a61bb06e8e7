// What only the memory store has to show beyond the contract suite: dbpurgeage like the SQLite store, and entries
// that cannot be changed behind its back.
import { describe, expect, it } from "vitest";
import { makeJailPolicy } from "../../shared/jail/jail-policy.js";
import { JailRunner } from "../../shared/jail/jail-runner.js";
import { MemoryStore } from "../../shared/store/memory-store.js";

const T0 = 1_700_000_000;

describe("MemoryStore", () => {
  it("purges entries past dbpurgeage and keeps those still needed", async () => {
    const store = new MemoryStore();
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
  });

  it("hands out entries that throw when changed, so the stored state cannot drift", async () => {
    const store = new MemoryStore();
    const runner = new JailRunner({ store, jails: [makeJailPolicy("sshd", { maxRetry: 1 })] });
    await runner.recordFailure({ jail: "sshd", ip: "192.0.2.90", time: T0 });
    const read = await store.get("sshd", "192.0.2.90");
    const ban = read?.entry.ban as { active: boolean; matches: string[] } | undefined;
    expect(ban?.active).toBe(true);
    expect(() => {
      if (ban) ban.active = false;
    }).toThrow(TypeError);
    expect(() => ban?.matches.push("forged")).toThrow(TypeError);
    expect((await store.get("sshd", "192.0.2.90"))?.entry.ban?.active).toBe(true);
  });
});

// The Store contract: the same tests against every implementation, each on a real backing (SQLite file, DynamoDB
// Local, the memory store's maps). The store-level part checks compare-and-set and time filtering; the jail-level part runs the JailRunner on
// the store under the cloud's conditions: parallel writers, redelivered batches, TTL that has not deleted yet.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FailureOutcome } from "../../shared/jail/decision.js";
import { IgnoreList, parseIgnoreIp } from "../../shared/jail/ignore-list.js";
import { makeJailPolicy } from "../../shared/jail/jail-policy.js";
import { JailRunner } from "../../shared/jail/jail-runner.js";
import type { BanState, JailEntry, Store } from "../../shared/store/store.js";
import {
  dynamoDbHarness,
  memoryHarness,
  type StoreBacking,
  type StoreHarness,
  sqliteHarness,
  writeBehindHarness,
} from "./store-harnesses.js";

// Times near the real clock: DynamoDB Local runs TTL deletion like the service, so an item whose `exp` is in the
// real past may vanish at any moment (which the logic tolerates, but the assertions here count items).
const T0 = Math.floor(Date.now() / 1000);

function entry(jail: string, fid: string, parts: Partial<JailEntry> = {}): JailEntry {
  return { jail, fid, ip: fid, expiresAt: T0 + 600, ...parts };
}

function ban(parts: Partial<BanState> = {}): BanState {
  return { time: T0, banTime: 600, until: T0 + 600, count: 1, failures: 5, matches: ["line"], active: true, ...parts };
}

describe.each([sqliteHarness(), dynamoDbHarness(), memoryHarness(), writeBehindHarness()])(
  "Store contract: $name",
  (harness: StoreHarness) => {
    let backing: StoreBacking;
    let store: Store;

    beforeAll(() => harness.start());
    afterAll(() => harness.stop());
    const fresh = async () => {
      backing = await harness.create();
      store = backing.open();
    };
    afterEach(() => backing?.cleanup());

    describe("records", () => {
      it("creates an entry once and reads back exactly what was written", async () => {
        await fresh();
        expect(await store.get("sshd", "192.0.2.1")).toBeUndefined();
        const written = entry("sshd", "192.0.2.1", {
          window: {
            firstTime: T0,
            lastTime: T0 + 10,
            retry: 2,
            attempts: 2,
            events: [
              { id: "e1", time: T0 },
              { id: "e2", time: T0 + 10 },
            ],
            matches: ["a", ""],
          },
          ban: ban({ until: null, banTime: -1 }),
          expiresAt: null,
        });
        expect(await store.put(written, null)).toBe(1);
        expect(await store.get("sshd", "192.0.2.1")).toEqual({ entry: written, version: 1 });
        expect(await store.put(written, null)).toBeUndefined();
        expect(store.counters()).toMatchObject({ writes: 1, conflicts: 1 });
      });

      it("writes only over the version it read (compare-and-set)", async () => {
        await fresh();
        const first = entry("sshd", "2001:db8::1");
        await store.put(first, null);
        expect(await store.put({ ...first, ip: "changed" }, 2)).toBeUndefined();
        expect(await store.put({ ...first, ip: "second" }, 1)).toBe(2);
        expect(await store.put({ ...first, ip: "late" }, 1)).toBeUndefined();
        expect((await store.get("sshd", "2001:db8::1"))?.entry.ip).toBe("second");
      });

      it("keeps entries of one address apart per jail and lists them together", async () => {
        await fresh();
        await store.put(entry("sshd", "192.0.2.7"), null);
        await store.put(entry("nginx", "192.0.2.7"), null);
        await store.put(entry("sshd", "192.0.2.8"), null);
        const jails = (await store.listByFid("192.0.2.7")).map((stored) => stored.entry.jail).sort();
        expect(jails).toEqual(["nginx", "sshd"]);
      });
    });

    describe("bans and time", () => {
      it("lists as active only bans in force now, and as due only active bans whose end has come", async () => {
        await fresh();
        await store.put(entry("sshd", "192.0.2.1", { ban: ban({ until: T0 + 600 }) }), null);
        await store.put(entry("sshd", "192.0.2.2", { ban: ban({ until: null, banTime: -1 }), expiresAt: null }), null);
        await store.put(entry("sshd", "192.0.2.3", { ban: ban({ until: T0 + 100 }) }), null);
        await store.put(entry("sshd", "192.0.2.4", { ban: ban({ active: false, endedAt: T0 + 50 }) }), null);
        await store.put(entry("nginx", "192.0.2.5", { ban: ban() }), null);
        const now = T0 + 100;
        const active = (await store.activeBans(now)).map(({ entry }) => `${entry.jail}/${entry.fid}`);
        expect(active).toEqual(["nginx/192.0.2.5", "sshd/192.0.2.1", "sshd/192.0.2.2"]);
        const sshd = (await store.activeBans(now, "sshd")).map(({ entry }) => entry.fid);
        expect(sshd).toEqual(["192.0.2.1", "192.0.2.2"]);
        expect((await store.dueBans(now)).map(({ entry }) => entry.fid)).toEqual(["192.0.2.3"]);
        expect(await store.dueBans(T0 + 99)).toEqual([]);
      });

      it("does not treat an expired record that is still present (TTL lag) as an active ban", async () => {
        await fresh();
        const stale = entry("sshd", "192.0.2.9", { ban: ban({ until: T0 + 60 }), expiresAt: T0 + 120 });
        await store.put(stale, null);
        const later = T0 + 3 * 86_400;
        // Deletion has not happened (TTL lags, purge has not run): the item is still there...
        expect((await store.get("sshd", "192.0.2.9"))?.entry).toEqual(stale);
        // ...but nothing reads it as in force.
        expect(await store.activeBans(later)).toEqual([]);
        const runner = new JailRunner({ store, jails: [makeJailPolicy("sshd", { maxRetry: 2 })] });
        expect(await runner.activeBans(later)).toEqual([]);
        expect(await runner.recordFailure({ jail: "sshd", ip: "192.0.2.9", time: later })).toEqual({
          kind: "counted",
          failures: 1,
        });
      });
    });

    describe("jail logic on this store", () => {
      it("bans exactly once when 8 writers record failures of one address at the same moment", async () => {
        await fresh();
        const policy = makeJailPolicy("sshd", { maxRetry: 5 });
        const writers = Array.from({ length: 8 }, () => new JailRunner({ store: backing.open(), jails: [policy] }));
        const outcomes = await Promise.all(
          writers.map((runner, i) =>
            runner.recordFailure({ jail: "sshd", ip: "198.51.100.7", time: T0, eventId: `event-${i}` }),
          ),
        );
        const kinds = outcomes.map((outcome) => outcome.kind).sort();
        expect(kinds).toEqual(["ban", "banned", "banned", "banned", "counted", "counted", "counted", "counted"]);
        const bans = outcomes.filter((outcome) => outcome.kind === "ban");
        expect(bans[0]?.ban).toMatchObject({ ip: "198.51.100.7", failures: 5, banCount: 1, banUntil: T0 + 600 });
        expect((await store.activeBans(T0 + 1)).map(({ entry }) => entry.fid)).toEqual(["198.51.100.7"]);
      });

      it("loses no count when 8 writers each record 5 failures of one address concurrently", async () => {
        await fresh();
        const policy = makeJailPolicy("sshd", { maxRetry: 1000, findTime: 3600 });
        const stores = Array.from({ length: 8 }, () => backing.open());
        await Promise.all(
          stores.map(async (writerStore, writer) => {
            const runner = new JailRunner({ store: writerStore, jails: [policy] });
            for (let i = 0; i < 5; i++) {
              await runner.recordFailure({ jail: "sshd", ip: "203.0.113.5", time: T0 + i, eventId: `w${writer}-${i}` });
            }
          }),
        );
        const stored = await store.get("sshd", "203.0.113.5");
        expect(stored?.entry.window).toMatchObject({ retry: 40, attempts: 40, firstTime: T0, lastTime: T0 + 4 });
        expect(stored?.entry.window?.events).toHaveLength(40);
        const written = stores.reduce((sum, s) => sum + s.counters().writes, 0);
        expect(written).toBe(40);
      });

      it("counts a redelivered batch once, also when the redelivery runs in parallel with the first delivery", async () => {
        await fresh();
        const policy = makeJailPolicy("sshd", { maxRetry: 5 });
        const batch = [0, 1, 2].map((i) => ({ jail: "sshd", ip: "192.0.2.44", time: T0 + i, eventId: `ev-${i}` }));
        const deliver = async (runner: JailRunner) => {
          const outcomes: FailureOutcome[] = [];
          for (const failure of batch) outcomes.push(await runner.recordFailure(failure));
          return outcomes;
        };
        const first = new JailRunner({ store: backing.open(), jails: [policy] });
        const second = new JailRunner({ store: backing.open(), jails: [policy] });
        const [a, b] = await Promise.all([deliver(first), deliver(second)]);
        const counted = [...a, ...b].filter((outcome) => outcome.kind === "counted");
        expect(counted).toHaveLength(3);
        expect([...a, ...b].filter((outcome) => outcome.kind === "duplicate")).toHaveLength(3);
        // A third, late delivery: still nothing counted twice, no write made.
        const before = store.counters().writes;
        expect((await deliver(new JailRunner({ store, jails: [policy] }))).map((o) => o.kind)).toEqual([
          "duplicate",
          "duplicate",
          "duplicate",
        ]);
        expect(store.counters().writes).toBe(before);
        expect((await store.get("sshd", "192.0.2.44"))?.entry.window).toMatchObject({ retry: 3, attempts: 3 });
      });

      it("does not ban twice when the batch that banned is delivered again", async () => {
        await fresh();
        const runner = new JailRunner({ store, jails: [makeJailPolicy("sshd", { maxRetry: 3 })] });
        const batch = [0, 1, 2].map((i) => ({ jail: "sshd", ip: "192.0.2.45", time: T0 + i, eventId: `b-${i}` }));
        const kinds = async () => {
          const out: string[] = [];
          for (const failure of batch) out.push((await runner.recordFailure(failure, T0 + 5)).kind);
          return out;
        };
        expect(await kinds()).toEqual(["counted", "counted", "ban"]);
        expect(await kinds()).toEqual(["banned", "banned", "banned"]);
        expect(await runner.activeBans(T0 + 5)).toHaveLength(1);
      });

      it("expires each due ban exactly once even with several reconcilers at once", async () => {
        await fresh();
        const policy = makeJailPolicy("sshd", { maxRetry: 1, banTime: 60 });
        const runner = new JailRunner({ store, jails: [policy] });
        for (const ip of ["192.0.2.61", "192.0.2.62", "2001:db8::62"]) {
          await runner.recordFailure({ jail: "sshd", ip, time: T0 });
        }
        const reconcilers = Array.from({ length: 4 }, () => new JailRunner({ store: backing.open(), jails: [policy] }));
        const unbans = (await Promise.all(reconcilers.map((r) => r.expireBans(T0 + 61)))).flat();
        expect(unbans.map((u) => u.ip).sort()).toEqual(["192.0.2.61", "192.0.2.62", "2001:db8::62"]);
        expect(unbans.every((u) => u.time === T0 + 60 && u.reason === "expired")).toBe(true);
        expect(await store.dueBans(T0 + 61)).toEqual([]);
        expect(await runner.activeBans(T0 + 61)).toEqual([]);
      });

      it("costs one write per counted failure and none for ignored, duplicate or banned ones", async () => {
        await fresh();
        const ignore = new IgnoreList(parseIgnoreIp("10.0.0.0/8"));
        const runner = new JailRunner({ store, jails: [makeJailPolicy("sshd", { maxRetry: 3, ignore })] });
        store.resetCounters();
        for (let i = 0; i < 5; i++) await runner.recordFailure({ jail: "sshd", ip: "10.1.2.3", time: T0 + i });
        expect(store.counters()).toMatchObject({ writes: 0, reads: 0 });
        for (let i = 0; i < 5; i++) {
          await runner.recordFailure({ jail: "sshd", ip: "192.0.2.99", time: T0 + i, eventId: `c-${i}` });
        }
        await runner.recordFailure({ jail: "sshd", ip: "192.0.2.99", time: T0 + 1, eventId: "c-1" });
        // 3 writes (the third one bans), then banned and duplicate failures are only read.
        expect(store.counters()).toMatchObject({ writes: 3, conflicts: 0 });
      });
    });
  },
);

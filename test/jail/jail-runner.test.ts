// Decisions of whole jails over crafted failure sequences, each expectation computed by hand from fail2ban's rules
// (see the comments), on the embedded store.
import { afterEach, describe, expect, it } from "vitest";
import { banTimeIncrement } from "../../shared/jail/ban-time.js";
import type { Decision, Failure } from "../../shared/jail/decision.js";
import { IgnoreList, parseIgnoreIp } from "../../shared/jail/ignore-list.js";
import { type JailPolicy, makeJailPolicy } from "../../shared/jail/jail-policy.js";
import { JailRunner, replayFailures } from "../../shared/jail/jail-runner.js";
import { SqliteStore } from "../../shared/store/sqlite-store.js";

const T = 1_700_000_000;
const stores: SqliteStore[] = [];

function runner(jails: JailPolicy[], purgeAge?: number): JailRunner {
  const store = new SqliteStore(":memory:");
  stores.push(store);
  return new JailRunner({ store, jails, random: () => 0, ...(purgeAge === undefined ? {} : { purgeAge }) });
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

const at = (offsets: number[], ip = "192.0.2.10", jail = "sshd"): Failure[] =>
  offsets.map((offset, i) => ({ jail, ip, time: T + offset, eventId: `${jail}-${ip}-${i}`, line: `fail ${i}` }));

const brief = (decisions: Decision[]) =>
  decisions.map((d) =>
    d.kind === "ban"
      ? {
          ban: d.ip,
          at: d.time - T,
          until: d.banUntil === null ? null : d.banUntil - T,
          count: d.banCount,
          failures: d.failures,
        }
      : { unban: d.ip, at: d.time - T },
  );

describe("jail decisions", () => {
  const sshd = makeJailPolicy("sshd", { maxRetry: 3, findTime: 600, banTime: 600 });

  it("bans on exactly maxretry failures inside findtime, at the last one, for bantime", async () => {
    const decisions = await replayFailures(runner([sshd]), at([0, 300, 599]));
    expect(brief(decisions)).toEqual([{ ban: "192.0.2.10", at: 599, until: 1199, count: 1, failures: 3 }]);
  });

  it("still bans when the third failure lands exactly findtime after the first", async () => {
    // Window start 0 is not before 600 - 600: no rescaling, 3 attempts.
    expect(brief(await replayFailures(runner([sshd]), at([0, 300, 600])))).toEqual([
      { ban: "192.0.2.10", at: 600, until: 1200, count: 1, failures: 3 },
    ]);
  });

  it("rescales just beyond findtime, and forgets a window whose last failure is findtime old", async () => {
    // At 601: round(2 / 601 * 600) = 2, plus one = 3 -> ban. At 900 after 0, 300: 300 <= 900 - 600 -> forgotten.
    expect(brief(await replayFailures(runner([sshd]), at([0, 300, 601])))).toHaveLength(1);
    const r = runner([sshd]);
    expect(await replayFailures(r, at([0, 300, 900]))).toEqual([]);
    expect(await r.recordFailure(at([901])[0]!)).toEqual({ kind: "counted", failures: 2 });
  });

  it("never bans failures spread so thinly that their rate over findtime stays below maxretry", async () => {
    // maxretry 5, one failure every 400 s: the count settles at 3 (round(3 / 1000 * 600) + 1).
    const five = makeJailPolicy("sshd", { maxRetry: 5, findTime: 600 });
    const r = runner([five]);
    const offsets = Array.from({ length: 30 }, (_, i) => i * 400);
    expect(await replayFailures(r, at(offsets))).toEqual([]);
    expect(await r.recordFailure(at([30 * 400])[0]!)).toEqual({ kind: "counted", failures: 3 });
  });

  it("never counts nor bans an ignored address", async () => {
    const ignore = new IgnoreList(parseIgnoreIp("192.0.2.0/24 2001:db8:1::/48"));
    const r = runner([makeJailPolicy("sshd", { maxRetry: 1, ignore })]);
    const failures = [...at([0, 1, 2]), ...at([3, 4], "2001:DB8:1::7"), ...at([5], "::ffff:192.0.2.99")];
    expect(await replayFailures(r, failures)).toEqual([]);
    expect(await r.recordFailure(at([6], "198.51.100.1")[0]!)).toMatchObject({ kind: "ban" });
  });

  it("grows the ban time and accelerates counting for repeat offenders (bantime.increment)", async () => {
    const policy = makeJailPolicy("sshd", {
      maxRetry: 3,
      banTime: 600,
      increment: banTimeIncrement({ enabled: true }),
    });
    const decisions = await replayFailures(runner([policy]), at([0, 1, 2, 1000, 1001, 3000]), T + 6000);
    expect(brief(decisions)).toEqual([
      // First ban: 3 failures, base time.
      { ban: "192.0.2.10", at: 2, until: 602, count: 1, failures: 3 },
      { unban: "192.0.2.10", at: 602 },
      // One previous ban: each failure counts 2^1/2+1 = 2, so two failures ban; 600 * 2^1 s.
      { ban: "192.0.2.10", at: 1001, until: 2201, count: 2, failures: 2 },
      { unban: "192.0.2.10", at: 2201 },
      // Two previous bans: each failure counts min(2^2/2+1, maxretry) = 3: one failure bans; 600 * 2^2 s.
      { ban: "192.0.2.10", at: 3000, until: 5400, count: 3, failures: 1 },
      { unban: "192.0.2.10", at: 5400 },
    ]);
  });

  it("counts previous bans over every jail with bantime.overalljails", async () => {
    const increment = banTimeIncrement({ enabled: true, overallJails: true });
    const a = makeJailPolicy("sshd", { maxRetry: 2, banTime: 100, increment });
    const b = makeJailPolicy("nginx", { maxRetry: 2, banTime: 100, increment });
    const failures = [...at([0, 1], "192.0.2.5", "sshd"), ...at([10, 11], "192.0.2.5", "nginx")];
    expect(brief(await replayFailures(runner([a, b]), failures))).toEqual([
      { ban: "192.0.2.5", at: 1, until: 101, count: 1, failures: 2 },
      // One ban in another jail: second ban overall, 100 * 2 s.
      { ban: "192.0.2.5", at: 11, until: 211, count: 2, failures: 2 },
    ]);
  });

  it("keeps permanent bans (bantime -1) forever and counts nothing from the banned address", async () => {
    const r = runner([makeJailPolicy("sshd", { maxRetry: 2, banTime: -1 })]);
    const decisions = await replayFailures(r, at([0, 5, 10, 20, 10_000_000]), 20_000_000);
    expect(decisions).toEqual([
      expect.objectContaining({ kind: "ban", time: T + 5, banUntil: null, permanent: true, banTime: -1 }),
    ]);
    expect(await r.activeBans(T + 20_000_000)).toEqual([
      { jail: "sshd", ip: "192.0.2.10", fid: "192.0.2.10", time: T + 5, banUntil: null, banCount: 1 },
    ]);
  });

  it("treats every spelling of an IPv6 address as one address", async () => {
    const failures = ["2001:DB8::1", "2001:db8:0:0::1", "[2001:db8::1]"].map((ip, i) => ({
      jail: "sshd",
      ip,
      time: T + i,
    }));
    expect(brief(await replayFailures(runner([sshd]), failures))).toEqual([
      { ban: "2001:db8::1", at: 2, until: 602, count: 1, failures: 3 },
    ]);
  });

  it("keys counting on the filter's failure id when it sets one, and bans the address", async () => {
    const r = runner([makeJailPolicy("sshd", { maxRetry: 2 })]);
    await r.recordFailure({ jail: "sshd", ip: "192.0.2.1", fid: "session-42", time: T });
    const outcome = await r.recordFailure({ jail: "sshd", ip: "192.0.2.2", fid: "session-42", time: T + 1 });
    expect(outcome).toMatchObject({ kind: "ban", ban: { fid: "session-42", ip: "192.0.2.2" } });
  });

  it("counts a future-stamped failure as now and drops one older than findtime", async () => {
    const r = runner([sshd]);
    expect(await r.recordFailure({ jail: "sshd", ip: "192.0.2.3", time: T - 600 }, T)).toEqual({ kind: "obsolete" });
    expect(await r.recordFailure({ jail: "sshd", ip: "192.0.2.3", time: T + 3600 }, T)).toEqual({
      kind: "counted",
      failures: 1,
    });
  });

  it("does not record a ban that late logs show as already over (fail2ban's 'ignore old bantime')", async () => {
    const r = runner([makeJailPolicy("sshd", { maxRetry: 2, banTime: 60, findTime: 600 })]);
    await r.recordFailure({ jail: "sshd", ip: "192.0.2.4", time: T }, T + 100);
    const late = { jail: "sshd", ip: "192.0.2.4", time: T + 1, eventId: "late-1" };
    expect(await r.recordFailure(late, T + 100)).toEqual({ kind: "expired-ban" });
    expect(await r.activeBans(T + 100)).toEqual([]);
    // The count starts over, and the late event delivered again is still known.
    expect(await r.recordFailure(late, T + 101)).toEqual({ kind: "duplicate" });
    expect(await r.recordFailure({ jail: "sshd", ip: "192.0.2.4", time: T + 90 }, T + 101)).toEqual({
      kind: "counted",
      failures: 1,
    });
  });

  it("bans and unbans by hand, and an unbanned address counts again from zero", async () => {
    const r = runner([sshd]);
    expect(await r.ban("sshd", "2001:db8::99", T)).toMatchObject({ kind: "ban", banUntil: T + 600, banCount: 1 });
    expect(await r.ban("sshd", "2001:db8::99", T + 1)).toBeUndefined();
    expect(await r.unban("sshd", "2001:DB8::99", T + 10)).toMatchObject({
      kind: "unban",
      time: T + 10,
      reason: "manual",
    });
    expect(await r.unban("sshd", "2001:db8::99", T + 11)).toBeUndefined();
    expect(await r.activeBans(T + 11)).toEqual([]);
    expect(await r.recordFailure({ jail: "sshd", ip: "2001:db8::99", time: T + 20 })).toEqual({
      kind: "counted",
      failures: 1,
    });
  });

  it("forgets ban history after dbpurgeage past three ban times, so increments start over", async () => {
    const policy = makeJailPolicy("sshd", {
      maxRetry: 1,
      banTime: 100,
      increment: banTimeIncrement({ enabled: true }),
    });
    const r = runner([policy], 1000);
    // Ban at 0 (count 1): its history is gone at 0 + 3 * 100 + 1000 = 1300. The second ban (200 s) is gone at
    // 1299 + 3 * 200 + 1000 = 2899.
    const decisions = await replayFailures(r, at([0, 1299, 5000]));
    expect(brief(decisions).filter((d) => "ban" in d)).toEqual([
      { ban: "192.0.2.10", at: 0, until: 100, count: 1, failures: 1 },
      { ban: "192.0.2.10", at: 1299, until: 1499, count: 2, failures: 1 },
      { ban: "192.0.2.10", at: 5000, until: 5100, count: 1, failures: 1 },
    ]);
    const gone = runner([policy], 1000);
    expect(brief(await replayFailures(gone, at([0, 1300]))).filter((d) => "ban" in d)).toMatchObject([
      { count: 1 },
      { count: 1, until: 1400 },
    ]);
  });

  it("applies a batch with one write per address, outcomes in input order", async () => {
    const store = new SqliteStore(":memory:");
    stores.push(store);
    const r = new JailRunner({ store, jails: [makeJailPolicy("sshd", { maxRetry: 3 })] });
    const a = at([0, 1, 2, 3], "192.0.2.21");
    const b = at([0, 1], "2001:db8::21");
    const batch = [a[0]!, b[0]!, a[1]!, a[2]!, b[1]!, a[3]!, a[1]!, { ...a[0]!, ip: "10.0.0.1", time: T - 10_000 }];
    const outcomes = await r.recordFailures(batch, T + 5);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual([
      "counted",
      "counted",
      "counted",
      "ban",
      "counted",
      "banned",
      "banned",
      "obsolete",
    ]);
    expect(store.counters()).toMatchObject({ writes: 2, reads: 2, conflicts: 0 });
    // The same batch delivered again writes nothing.
    const again = await r.recordFailures(batch, T + 5);
    expect(again.map((outcome) => outcome.kind)).toEqual([
      "banned",
      "duplicate",
      "banned",
      "banned",
      "duplicate",
      "banned",
      "banned",
      "obsolete",
    ]);
    expect(store.counters().writes).toBe(2);
  });

  it("bounds attacker-controlled failure ids and rejects unusable addresses or times", async () => {
    const r = runner([makeJailPolicy("sshd", { maxRetry: 2 })]);
    const fid = `user-${"a".repeat(5000)}`;
    await r.recordFailure({ jail: "sshd", ip: "192.0.2.1", fid, time: T });
    const outcome = await r.recordFailure({ jail: "sshd", ip: "192.0.2.1", fid, time: T + 1 });
    expect(outcome).toMatchObject({ kind: "ban", ban: { fid: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) } });
    await expect(r.recordFailure({ jail: "sshd", ip: "h".repeat(300), time: T })).rejects.toThrow("address too long");
    await expect(r.recordFailure({ jail: "sshd", ip: "192.0.2.1", time: Number.NaN })).rejects.toThrow("no valid time");
  });

  it("rejects failures of a jail it does not run", async () => {
    await expect(runner([sshd]).recordFailure({ jail: "nginx", ip: "192.0.2.1", time: T })).rejects.toThrow(
      'unknown jail "nginx"',
    );
  });
});

// What only the memory store has to show beyond the contract suite (and store-purge.test.ts): entries that cannot
// be changed behind its back.
import { describe, expect, it } from "vitest";
import { makeJailPolicy } from "../../shared/jail/jail-policy.js";
import { JailRunner } from "../../shared/jail/jail-runner.js";
import { MemoryStore } from "../../shared/store/memory-store.js";

const T0 = 1_700_000_000;

describe("MemoryStore", () => {
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

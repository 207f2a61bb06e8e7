import { describe, expect, it } from "vitest";
import { enforceBans, targetBans } from "../../../cloud/enforcement/enforce-bans.js";
import type { BanTarget, TargetBan } from "../../../cloud/targets/ban-target.js";

const ban = (jail: string, ip: string, time: number) => ({
  jail,
  ip,
  fid: ip,
  time,
  banUntil: time + 600,
  banCount: 1,
});

/** A target holding at most `room` addresses, failing the ones listed. */
function recordingTarget(name: string, room: number, failing: string[] = []): BanTarget & { seen: TargetBan[][] } {
  const seen: TargetBan[][] = [];
  return {
    name,
    seen,
    async sync(bans) {
      seen.push([...bans]);
      const sorted = [...bans].sort((a, b) => b.bannedAt - a.bannedAt);
      const fits = sorted.slice(0, room).map((b) => b.ip);
      return {
        target: name,
        enforced: fits.filter((ip) => !failing.includes(ip)),
        overflow: sorted.slice(room).map((b) => b.ip),
        failed: fits.filter((ip) => failing.includes(ip)).map((ip) => ({ ip, reason: "denied" })),
        warnings: [],
        writes: 1,
      };
    },
    add(bans) {
      return this.sync(bans);
    },
    async remove() {
      return { target: name, enforced: [], overflow: [], failed: [], warnings: [], writes: 0 };
    },
  };
}

describe("enforceBans", () => {
  it("gives each address once to the targets, dated by its newest ban", () => {
    expect(
      targetBans([ban("sshd", "192.0.2.1", 100), ban("nginx", "192.0.2.1", 300), ban("sshd", "192.0.2.2", 200)]),
    ).toEqual([
      { ip: "192.0.2.1", bannedAt: 300 },
      { ip: "192.0.2.2", bannedAt: 200 },
    ]);
  });

  it("reports per address where the ban holds, is pending or did not fit", async () => {
    const waf = recordingTarget("waf", 10);
    const nacl = recordingTarget("nacl", 1, ["192.0.2.2"]);
    const report = await enforceBans([waf, nacl], [ban("sshd", "192.0.2.1", 100), ban("sshd", "192.0.2.2", 200)]);
    expect(report.addresses.get("192.0.2.2")).toEqual({
      ip: "192.0.2.2",
      enforcedIn: ["waf"],
      pendingIn: ["nacl"],
      overflowIn: [],
    });
    expect(report.addresses.get("192.0.2.1")).toEqual({
      ip: "192.0.2.1",
      enforcedIn: ["waf"],
      pendingIn: [],
      overflowIn: ["nacl"],
    });
    expect(report.failures).toBe(1);
    expect(report.overflow).toBe(1);
  });

  it("counts a target that throws as failed for every address, and still syncs the others", async () => {
    const fail = async (): Promise<never> => {
      throw new Error("no credentials");
    };
    const broken: BanTarget = { name: "broken", sync: fail, add: fail, remove: fail };
    const waf = recordingTarget("waf", 10);
    const report = await enforceBans([broken, waf], [ban("sshd", "192.0.2.1", 100)]);
    expect(report.addresses.get("192.0.2.1")).toMatchObject({ enforcedIn: ["waf"], pendingIn: ["broken"] });
    expect(report.targets[0]!.warnings).toEqual(["no credentials"]);
    expect(waf.seen).toHaveLength(1);
  });
});

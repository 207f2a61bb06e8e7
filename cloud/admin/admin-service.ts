// The admin commands, run against the store and the targets: the counterpart of fail2ban-client's status, banip and
// unbanip for a deployed stack. A manual ban or unban is enforced at once, like one found in the logs.
import { banTimeIncrement } from "../../shared/jail/ban-time.js";
import { JailRunner } from "../../shared/jail/jail-runner.js";
import { normalizeAddress } from "../../shared/net/ip.js";
import { banInForce } from "../../shared/store/store.js";
import { isoTime } from "../alerts/ban-alert.js";
import { jailPolicyOf } from "../deployment/deployment-config.js";
import type { EnforcementReport } from "../enforcement/enforce-bans.js";
import type { CloudRuntime } from "../runtime/cloud-runtime.js";
import { type AdminCommand, AdminCommandError, validateAdminPayload } from "./admin-command.js";
import type { AdminResponse } from "./admin-response.js";

function requireJail(runtime: CloudRuntime, jail: string) {
  const found = runtime.deployment.jails.find((candidate) => candidate.name === jail);
  if (!found) {
    const known = runtime.deployment.jails.map((candidate) => candidate.name).join(", ");
    throw new AdminCommandError(`unknown jail "${jail}" (jails: ${known})`, "jail");
  }
  return found;
}

function enforcementLine(report: EnforcementReport, ip: string): string {
  const state = report.addresses.get(ip);
  if (!state) return report.targets.length ? `no target carries ${ip} any more` : "no ban target is configured";
  const parts = [`enforced in: ${state.enforcedIn.join(", ") || "none"}`];
  if (state.pendingIn.length) parts.push(`pending (retried every minute) in: ${state.pendingIn.join(", ")}`);
  if (state.overflowIn.length) parts.push(`no room in: ${state.overflowIn.join(", ")}`);
  return parts.join("; ");
}

/** Runs one validated admin command at `now` and builds the answer (text for people, data for scripts). */
export async function runAdminCommand(
  runtime: CloudRuntime,
  command: AdminCommand,
  now: number,
): Promise<AdminResponse> {
  const { runner, deployment } = runtime;
  switch (command.command) {
    case "status": {
      if (command.jail === undefined) {
        const active = await runner.activeBans(now);
        const jails = deployment.jails.map((jail) => ({
          name: jail.name,
          logGroups: jail.logGroups,
          currentlyBanned: active.filter((ban) => ban.jail === jail.name).length,
        }));
        const output = [
          "Status",
          `|- Number of jail:\t${jails.length}`,
          `\`- Jail list:\t${jails.map((jail) => jail.name).join(", ")}`,
        ].join("\n");
        return { ok: true, output, data: { jails } };
      }
      const jail = requireJail(runtime, command.jail);
      const bans = await runner.activeBans(now, jail.name);
      const data = {
        jail: jail.name,
        filter: jail.filter.source,
        logGroups: jail.logGroups,
        maxRetry: jail.maxRetry,
        findTime: jail.findTime,
        banTime: jail.banTime,
        currentlyBanned: bans.length,
        bannedIps: bans.map((ban) => ban.ip),
      };
      const output = [
        `Status for the jail: ${jail.name}`,
        "|- Filter",
        `|  |- Filter:\t${jail.filter.source}`,
        `|  \`- Log groups:\t${jail.logGroups.join(" ")}`,
        "`- Actions",
        `   |- Currently banned:\t${bans.length}`,
        `   \`- Banned IP list:\t${data.bannedIps.join(" ")}`,
      ].join("\n");
      return { ok: true, output, data };
    }
    case "banned": {
      const bans = await runner.activeBans(now);
      const data = bans.map((ban) => ({ jail: ban.jail, ip: ban.ip, bannedAt: ban.time, until: ban.banUntil }));
      const output = data.length
        ? data
            .map(
              (ban) =>
                `${ban.jail.padEnd(20)} ${ban.ip.padEnd(40)} until ${ban.until === null ? "permanent" : isoTime(ban.until)}`,
            )
            .join("\n")
        : "no active bans";
      return { ok: true, output, data: { bans: data } };
    }
    case "ban": {
      const jail = requireJail(runtime, command.jail);
      // A ban time given by hand replaces the jail's (and its increments) for this one ban.
      const banner =
        command.bantime === undefined
          ? runner
          : new JailRunner({
              store: runtime.store,
              jails: [{ ...jailPolicyOf(jail), banTime: command.bantime, increment: banTimeIncrement() }],
            });
      const decision = await banner.ban(jail.name, command.ip, now);
      if (!decision) {
        return {
          ok: false,
          error: `${command.ip} is already banned in ${jail.name}, or in its ignoreip list`,
          field: "ip",
        };
      }
      const report = await runtime.enforce([decision]);
      const until = decision.banUntil === null ? "permanently" : `until ${isoTime(decision.banUntil)}`;
      return {
        ok: true,
        output: `banned ${decision.ip} in ${jail.name} ${until}\n${enforcementLine(report, decision.ip)}`,
        data: { ban: decision, enforcement: report.addresses.get(decision.ip) ?? null },
      };
    }
    case "unban": {
      const jails = command.all
        ? deployment.jails.map((jail) => jail.name)
        : [requireJail(runtime, command.jail!).name];
      // Every ingest container's memory of bans must forget before the ban is lifted (else it would skip the
      // address's next failures until the old ban's end).
      await runtime.unbanEpoch.bump();
      const lifted: string[] = [];
      for (const jail of jails) if (await runner.unban(jail, command.ip, now)) lifted.push(jail);
      if (lifted.length === 0) {
        return { ok: false, error: `${command.ip} is not banned in ${jails.join(", ")}`, field: "ip" };
      }
      // Only this address leaves the targets, and only if no other jail still bans it (asked of the store).
      const report = await runtime.withdraw([command.ip], now);
      const others = (await runtime.store.listByFid(normalizeAddress(command.ip)))
        .filter((stored) => banInForce(stored.entry, now))
        .map((stored) => stored.entry.jail);
      const stillBanned = others.length
        ? ` (still banned by another jail: ${others.join(", ")}; it stays in the targets)`
        : "";
      const problems = report.targets.flatMap((target) => target.warnings);
      return {
        ok: true,
        output: `unbanned ${command.ip} in ${lifted.join(", ")}${stillBanned}${problems.length ? `\nwarning: ${problems.join("; ")} (the scheduled sync retries every minute)` : ""}`,
        data: { unbannedIn: lifted, stillBannedIn: others, warnings: problems },
      };
    }
  }
}

/** The admin Lambda's logic: validates the payload strictly, runs it, and answers errors as data (never throws them). */
export async function handleAdminPayload(runtime: CloudRuntime, payload: unknown): Promise<AdminResponse> {
  try {
    return await runAdminCommand(runtime, validateAdminPayload(payload), runtime.clock());
  } catch (error) {
    if (error instanceof AdminCommandError) {
      return { ok: false, error: error.message, ...(error.field ? { field: error.field } : {}) };
    }
    throw error;
  }
}

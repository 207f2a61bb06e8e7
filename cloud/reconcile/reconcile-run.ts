// The scheduled run, every minute: end the bans whose time is over, then make every target equal to the bans still
// in force. This repairs drift (manual edits in the console), retries target updates that failed before, and is the
// only place unbans happen: DynamoDB TTL deletes late and is garbage collection, never an unban.
import type { UnbanDecision } from "../../shared/jail/decision.js";
import { isoTime, snsSubject } from "../alerts/ban-alert.js";
import type { EnforcementReport } from "../enforcement/enforce-bans.js";
import type { CloudRuntime } from "../runtime/cloud-runtime.js";

/** What one reconcile run did. */
export interface ReconcileReport {
  readonly now: number;
  readonly unbans: readonly UnbanDecision[];
  readonly activeBans: number;
  readonly enforcement: EnforcementReport;
}

/** Expires due bans, re-syncs the targets, publishes gauges and (optionally) announces the unbans. */
export async function reconcile(runtime: CloudRuntime, now: number = runtime.clock()): Promise<ReconcileReport> {
  const metrics = runtime.metrics();
  const unbans = await runtime.runner.expireBans(now);
  const { active, report: enforcement } = await runtime.syncTargets(now);
  for (const unban of unbans) runtime.log("info", `unban ${unban.ip} in ${unban.jail} (${unban.reason})`);
  for (const target of enforcement.targets) {
    for (const warning of target.warnings) runtime.log("warn", warning, { target: target.target });
  }
  for (const jail of runtime.deployment.jails) {
    metrics.set("ActiveBans", active.filter((ban) => ban.jail === jail.name).length, { Jail: jail.name });
  }
  metrics.add("Unbans", unbans.length);
  metrics.add("EnforcementFailures", enforcement.failures);
  metrics.set("TargetOverflow", enforcement.overflow);
  // The user's own rules in cloudjail's NACL range: left alone, but they take room and numbers, so they are counted.
  metrics.set("ForeignNaclRules", enforcement.foreignRules);
  metrics.flush();
  try {
    const sent = await runtime.flushAlerts(now);
    if (sent > 0) runtime.log("info", `sent the digest of ${sent} queued ban alerts`);
  } catch (error) {
    // The alerts stay queued and go out with the next run.
    runtime.log("error", `ban digest not sent: ${(error as Error).message}`);
  }
  if (runtime.settings.announceUnbans && unbans.length > 0 && runtime.notifier) {
    const lines = unbans.map(
      (unban) => `  ${unban.jail.padEnd(20)} ${unban.ip.padEnd(40)} ${unban.reason} at ${isoTime(unban.time)}`,
    );
    try {
      await runtime.notifier.publish({
        subject: snsSubject(
          `[cloudjail] ${unbans.length} unban${unbans.length === 1 ? "" : "s"} (${runtime.settings.label})`,
        ),
        body: [`cloudjail (${runtime.settings.label}) lifted these bans:`, "", ...lines, ""].join("\n"),
      });
    } catch (error) {
      runtime.log("error", `unban announcement not sent: ${(error as Error).message}`);
    }
  }
  return { now, unbans, activeBans: active.length, enforcement };
}

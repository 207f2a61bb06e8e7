// How `cloudjail replay` prints a decision: one aligned line for people, one JSON object for tools.
import type { Decision } from "../../shared/jail/decision.js";

function iso(epoch: number): string {
  return new Date(Math.round(epoch * 1000)).toISOString().replace(/\.000Z$/, "Z");
}

function duration(seconds: number): string {
  const units: Array<[string, number]> = [
    ["w", 604800],
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ];
  let rest = Math.round(seconds);
  let text = "";
  for (const [unit, size] of units) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text || "0s";
}

/** One decision as a line of text, or as a JSON object when `json`. */
export function formatDecision(decision: Decision, json: boolean): string {
  if (json) {
    return decision.kind === "ban"
      ? JSON.stringify({
          action: "ban",
          time: decision.time,
          jail: decision.jail,
          ip: decision.ip,
          fid: decision.fid,
          failures: decision.failures,
          banUntil: decision.banUntil,
          permanent: decision.permanent,
          banCount: decision.banCount,
        })
      : JSON.stringify({
          action: "unban",
          time: decision.time,
          jail: decision.jail,
          ip: decision.ip,
          fid: decision.fid,
          banCount: decision.banCount,
          reason: decision.reason,
        });
  }
  if (decision.kind === "ban") {
    const until = decision.permanent
      ? "permanent"
      : `until ${iso(decision.banUntil ?? 0)} (${duration(decision.banTime)})`;
    return `${iso(decision.time)}  ${decision.jail.padEnd(12)} Ban    ${decision.ip.padEnd(39)} ${decision.failures} failures, ${until}, ban #${decision.banCount}`;
  }
  return `${iso(decision.time)}  ${decision.jail.padEnd(12)} Unban  ${decision.ip.padEnd(39)} ${decision.reason}`;
}

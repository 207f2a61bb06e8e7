// `cloudjail replay` throughput: the sshd jail (filter, counting, bans on SQLite) over the generated auth.log.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { BenchRow } from "./bench-row.js";

const cacheRoot =
  process.env.CLOUDJAIL_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cloudjail");
const referenceConfig = join(cacheRoot, "reference", "fail2ban", "root", "etc", "fail2ban");

/** Replays `log` (written by the regex benchmark) through the sshd jail and reports lines per second. */
export async function benchReplay(log: string, lines: number): Promise<BenchRow[]> {
  const config = existsSync(join(referenceConfig, "jail.conf")) ? referenceConfig : "config";
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ["bin/cloudjail.js", "replay", "--config", config, "--jail", "sshd", "--out", "json", log],
    { encoding: "utf8", env: { ...process.env, TZ: "UTC" }, maxBuffer: 1 << 28 },
  );
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`cloudjail replay failed (${result.status}): ${result.stderr}`);
  const decisions = result.stdout.trim().split("\n").filter(Boolean);
  const bans = decisions.filter((row) => row.includes('"action":"ban"')).length;
  return [
    {
      name: "replay: sshd jail over the auth.log",
      value: seconds.toFixed(2),
      unit: "s",
      note: `${lines} lines, whole command`,
    },
    { name: "replay: throughput", value: Math.round(lines / seconds), unit: "lines/s" },
    { name: "replay: decisions", value: decisions.length, unit: "", note: `${bans} bans` },
  ];
}

// `npm run bench`: every benchmark of the project, one table. Figures are measured on this machine in this run;
// comparisons with fail2ban run in the same run, since the machine is shared and noisy.
import { join } from "node:path";
import type { BenchRow } from "./bench-row.js";
import { benchCloud } from "./cloud.js";
import { benchDependencies } from "./dependencies.js";
import { benchFlood } from "./flood.js";
import { benchHost } from "./host.js";
import { benchRegex } from "./regex-bench.js";
import { benchReplay } from "./replay-bench.js";
import { benchSlowLines } from "./slow-lines.js";
import { benchStoreWrites } from "./store-writes.js";

const workDir = join(process.cwd(), ".bench");

const lines = Number(process.env.BENCH_LINES ?? 200_000);
const allSections: Array<[string, string, () => Promise<BenchRow[]>]> = [
  ["regex", "filter engine", () => benchRegex(workDir, lines)],
  ["replay", "replay", () => benchReplay(join(workDir, `auth-${lines}.log`), lines)],
  ["store", "DynamoDB store", () => benchStoreWrites()],
  ["cloud", "cloud mode", () => benchCloud(workDir)],
  ["host", "host mode", () => benchHost(join(workDir, "host"))],
  ["flood", "host mode under flood", () => benchFlood(join(workDir, "flood"))],
  ["slowlines", "host mode with slow lines", () => benchSlowLines(join(workDir, "slowlines"))],
  ["dependencies", "our pieces next to the libraries", () => benchDependencies(workDir)],
];
// BENCH_ONLY=regex,replay runs some sections (replay reads the log the regex section writes)
const only = process.env.BENCH_ONLY?.split(",").map((name) => name.trim());
const unknown = only?.filter((name) => !allSections.some(([key]) => key === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(
    `bench: unknown section ${unknown.join(", ")} in BENCH_ONLY (sections: ${allSections.map(([key]) => key).join(", ")})\n`,
  );
  process.exit(2);
}
const sections = allSections
  .filter(([key]) => !only || only.includes(key))
  .map(([, title, run]) => [title, run] as const);

const rows: BenchRow[] = [];
for (const [title, run] of sections) {
  process.stderr.write(`bench: ${title}...\n`);
  try {
    const section = await run();
    rows.push(...section);
    for (const row of section) process.stderr.write(`  ${row.name}: ${row.value} ${row.unit}\n`);
  } catch (error) {
    rows.push({ name: `${title}: FAILED`, value: "error", unit: "", note: (error as Error).message.slice(0, 300) });
  }
}
const width = Math.max(...rows.map((r) => r.name.length));
process.stdout.write("\ncloudjail benchmarks\n\n");
for (const row of rows) {
  process.stdout.write(
    `${row.name.padEnd(width)}  ${String(row.value).padStart(12)} ${row.unit}${row.note ? `   (${row.note})` : ""}\n`,
  );
}
if (rows.some((r) => r.value === "error")) process.exitCode = 1;

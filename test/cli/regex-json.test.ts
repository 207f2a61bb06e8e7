// `cloudjail regex --raw --out json` on a log file, where the filter worker reads the file itself: its output is,
// line for line, what the filter engine gives when fed the lines in process (blank and comment lines skipped but
// counted, CRLF endings, output crossing several chunks, sessions spanning chunk boundaries).
// Needs the built command (`npm run build`, which `npm test` runs first).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { writeAuthLog } from "../../bench/auth-log.js";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { failureJson, isReportedFailure } from "../../shared/filter/failure-json.js";
import { filterSpecFromDefinition } from "../../shared/filter/filter-spec.js";
import { LogFilter } from "../../shared/filter/log-filter.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bundledConfig = join(root, "config");
const dir = mkdtempSync(join(tmpdir(), "cloudjail-regex-json-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = "2026-11-20T12:00:00Z";

/** The expected output: the engine in process, over the lines `cloudjail regex` reads. */
function inProcess(content: string, filterName: string): string {
  const spec = filterSpecFromDefinition(loadFilterDefinition(bundledConfig, filterName));
  const filter = new LogFilter(spec, { useDns: "raw", timeZone: "UTC" });
  const context = { now: Date.parse(NOW) / 1000 };
  const lines = content.split("\n");
  if (lines.at(-1) === "") lines.pop();
  let out = "";
  lines.forEach((raw, index) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line === "" || line.startsWith("#")) return;
    for (const failure of filter.processLine(line, context).failures) {
      if (isReportedFailure(failure)) out += `${failureJson(index + 1, failure)}\n`;
    }
  });
  return out;
}

function runRegex(log: string, filterName: string): string {
  const run = spawnSync(
    "node",
    ["bin/cloudjail.js", "regex", "--raw", "--out", "json", "--now", NOW, "--timezone", "UTC", log, filterName],
    { cwd: root, encoding: "utf8", timeout: 120_000, maxBuffer: 1 << 28 },
  );
  if (run.status !== 0) throw new Error(`cloudjail regex failed (${run.status}): ${run.stderr}`);
  return run.stdout;
}

describe("cloudjail regex --raw --out json on a file", () => {
  it("prints what the engine gives in process, over several output chunks", () => {
    const generated = join(dir, "generated.log");
    writeAuthLog(generated, 20_000, Date.parse(NOW) / 1000 - 3600);
    // mix in what the reader must skip or strip: blank lines, comments, CRLF endings, no final newline
    const lines = readFileSync(generated, "utf8").trimEnd().split("\n");
    const mixed = lines
      .map((line, i) => (i % 997 === 0 ? `${line}\r` : i % 1499 === 0 ? `# comment ${i}\n\n${line}` : line))
      .join("\n");
    const log = join(dir, "mixed.log");
    writeFileSync(log, mixed);
    const expected = inProcess(mixed, "sshd");
    expect(expected.split("\n").length).toBeGreaterThan(2000);
    expect(runRegex(log, "sshd")).toBe(expected);
  });
});

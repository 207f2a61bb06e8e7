// `cloudjail regex` on a log file, where the filter worker reads the file itself: its output (JSON or the summary)
// is, line for line, what the filter engine gives when fed the lines in process (blank and comment lines skipped but
// counted, CRLF endings, output crossing many chunks, sessions spanning chunk boundaries, host names resolved here).
// Needs the built command (`npm run build`, which `npm test` runs first).
import { spawn, spawnSync } from "node:child_process";
import { lookup } from "node:dns/promises";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeAuthLog } from "../../bench/auth-log.js";
import { RegexReport } from "../../cli/regex/regex-report.js";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import type { Failure } from "../../shared/filter/failure.js";
import { failureJson, isReportedFailure } from "../../shared/filter/failure-json.js";
import { filterSpecFromDefinition } from "../../shared/filter/filter-spec.js";
import { LogFilter } from "../../shared/filter/log-filter.js";
import { expandFailRegexTags, localizeGlobalFlags } from "../../shared/filter/regex/fail-regex.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bundledConfig = join(root, "config");
const dir = mkdtempSync(join(tmpdir(), "cloudjail-regex-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = "2026-11-20T12:00:00Z";
let log: string;
let content: string;

beforeAll(() => {
  const generated = join(dir, "generated.log");
  writeAuthLog(generated, 20_000, Date.parse(NOW) / 1000 - 3600);
  // mix in what the reader must skip or strip (blank lines, comments, CRLF endings, no final newline) and failures
  // naming a host, which the command resolves itself
  const lines = readFileSync(generated, "utf8").trimEnd().split("\n");
  const mixed = lines.map((line, i) => {
    if (i % 997 === 0) return `${line}\r`;
    if (i % 1499 === 0) return `# comment ${i}\n\n${line}`;
    if (i % 2003 === 0)
      return `${line.slice(0, 15)} bastion sshd[7${i}]: Failed password for root from localhost port 22 ssh2`;
    return line;
  });
  content = mixed.join("\n");
  log = join(dir, "mixed.log");
  writeFileSync(log, content);
});

/** The lines `cloudjail regex` reads, numbered, run through the engine in process; host names resolved. */
async function inProcess(
  raw: boolean,
  json: boolean,
): Promise<Array<{ line: number; text: string; failures: Failure[]; result: ReturnType<LogFilter["processLine"]> }>> {
  const spec = filterSpecFromDefinition(loadFilterDefinition(bundledConfig, "sshd"));
  const filter = new LogFilter(spec, {
    useDns: raw ? "raw" : "yes",
    checkAllRegex: !json,
    reportMatches: !json,
    timeZone: "UTC",
  });
  const context = { now: Date.parse(NOW) / 1000 };
  const out = [];
  for (const [index, rawLine] of content.split("\n").entries()) {
    const text = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
    if (text === "" || text.startsWith("#")) continue;
    const result = filter.processLine(text, context);
    const failures: Failure[] = [];
    for (const failure of result.failures) {
      if (!failure.isHostName) failures.push(failure);
      else {
        const addresses = (await lookup(failure.id, { all: true })).map((a) => a.address);
        for (const address of addresses) {
          failures.push({
            ...failure,
            id: address,
            isHostName: false,
            fields: { ...failure.fields, host: failure.id },
          });
        }
      }
    }
    out.push({ line: index + 1, text, failures, result });
  }
  return out;
}

function runRegex(...args: string[]): string {
  const run = spawnSync("node", ["bin/cloudjail.js", "regex", "--now", NOW, "--timezone", "UTC", ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0) throw new Error(`cloudjail regex failed (${run.status}): ${run.stderr}`);
  return run.stdout;
}

const jsonOf = (lines: Awaited<ReturnType<typeof inProcess>>) =>
  lines
    .flatMap(({ line, failures }) => failures.filter(isReportedFailure).map((f) => `${failureJson(line, f)}\n`))
    .join("");

describe("cloudjail regex on a file", () => {
  it.each([
    ["--raw --out json", true],
    ["--out json (host names resolved)", false],
  ])("%s prints what the engine gives in process", async (_, raw) => {
    const expected = jsonOf(await inProcess(raw, true));
    expect(expected.split("\n").length).toBeGreaterThan(2000);
    if (!raw) expect(expected).toContain('"host":"localhost"');
    expect(runRegex(...(raw ? ["--raw"] : []), "--out", "json", log, "sshd")).toBe(expected);
  });

  it("summarises what the engine gives in process", async () => {
    const spec = filterSpecFromDefinition(loadFilterDefinition(bundledConfig, "sshd"));
    const report = new RegexReport(spec, {
      filter: [`Use   failregex filter file : sshd, basedir: ${bundledConfig}`],
      log: { file: log },
      expandedPrefRegex: localizeGlobalFlags(expandFailRegexTags(spec.prefregex!, "yes")),
    });
    for (const { text, result, failures } of await inProcess(false, false)) report.add(text, result, failures);
    const withoutTime = (text: string) => text.replace(/\[processed in [\d.]+ sec\]/, "");
    const printed = runRegex("--config", bundledConfig, log, "sshd");
    expect(printed).toMatch(/Lines: 20000 lines, \d+ ignored, \d+ matched, \d+ missed/);
    expect(withoutTime(printed)).toBe(withoutTime(report.render()));
  });

  it("stops quietly when the reader of its output goes away (| head)", async () => {
    const child = spawn("node", ["bin/cloudjail.js", "regex", "--raw", "--out", "json", log, "sshd"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // read the first chunk, then close the pipe, as `head -1` does
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once("close", (status) => resolve(status)));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it("prints every one of 300,000 missed lines with --print-all-missed", () => {
    const many = join(dir, "many.log");
    const lines = Array.from({ length: 300_000 }, (_, i) => `2024-06-01 10:00:00 gw app[1]: nothing to see ${i}`);
    writeFileSync(many, `${lines.join("\n")}\n`);
    const printed = runRegex("--print-all-missed", many, "failed from <HOST>");
    expect(printed).toContain("Lines: 300000 lines, 0 ignored, 0 matched, 300000 missed");
    const listed = printed.split("\n").filter((line) => line.startsWith("|  2024-06-01"));
    expect(listed).toHaveLength(300_000);
    expect(listed.at(-1)).toBe("|  2024-06-01 10:00:00 gw app[1]: nothing to see 299999");
  });
});

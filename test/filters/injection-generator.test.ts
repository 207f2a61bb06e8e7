// Generated log injection: for every bundled filter and every mode it has, each sample line (service fixtures,
// injection samples, fail2ban's corpus for that service) is rewritten with attacker text in each field a client
// controls (see injection-generator.ts). No generated line may report the forged address or name, and a generated
// line that still matches must report the sample's own address. Run by cloudjail's engine, as users run it; the count
// of generated lines is printed.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { Failure } from "../../shared/filter/failure.js";
import { fail2banSampleLogs } from "../support/reference.js";
import { SAMPLE_NOW } from "../support/sample-conformance.js";
import { bundledConfig, bundledFilterNames, variantsOf } from "./bundled-filters.js";
import { makeEngineFilter } from "./engine-filter.js";
import { clientSpans, injectedLines, isForgedReport } from "./injection-generator.js";

const here = fileURLToPath(new URL(".", import.meta.url));

function sampleLines(name: string): string[] {
  const files = [join(here, "fixtures", `${name}.log`), join(here, "injection", `${name}.log`)];
  files.push(join(fail2banSampleLogs, name));
  const lines: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (line.trim() !== "" && !line.startsWith("#")) lines.push(line);
    }
  }
  return lines;
}

/** Every address or id a failure puts forward. */
function reportedBy(failures: readonly Failure[]): string[] {
  const out: string[] = [];
  for (const f of failures) {
    if (f.id !== "") out.push(f.id);
    if (f.ip !== undefined) out.push(f.ip);
    if (typeof f.fields.host === "string") out.push(f.fields.host);
  }
  return out;
}

/** The address text as the line holds it (before normalisation), for keeping its own field untouched. */
function capturedHost(failures: readonly Failure[]): string | undefined {
  for (const f of failures) {
    for (const group of ["ip4", "ip6", "dns"]) {
      const value = f.fields[group];
      if (typeof value === "string") return value;
    }
  }
  return undefined;
}

const counts = new Map<string, { generated: number; stillMatched: number }>();
let total = 0;

afterAll(() => {
  const rows = [...counts].map(([name, c]) => `  ${name}: ${c.generated} generated, ${c.stillMatched} still matched`);
  process.stdout.write(`injection generator: ${total} generated lines\n${rows.join("\n")}\n`);
});

describe("generated log injection into the bundled filters (cloudjail engine)", () => {
  const cases = bundledFilterNames().flatMap((name) =>
    variantsOf(name).map((variant) => [name, variant, `${name}${JSON.stringify(variant)}`] as const),
  );

  it.each(cases)("%s %j: no forged address, and matches keep their own", (name, variant, label) => {
    const filter = makeEngineFilter(bundledConfig, name, { ...variant });
    const problems: string[] = [];
    let generated = 0;
    let stillMatched = 0;
    for (const sample of sampleLines(name)) {
      const original = filter.processLine(sample, { now: SAMPLE_NOW }).failures.filter((f) => !f.nofail);
      const own = new Set(reportedBy(original));
      if ([...own].some(isForgedReport)) continue; // covered by injection.test.ts, not this generator's business
      const fields: Record<string, unknown> = {};
      for (const f of original) Object.assign(fields, f.fields);
      for (const injected of injectedLines(sample, clientSpans(sample, capturedHost(original), fields))) {
        generated++;
        const failures = filter.processLine(injected.line, { now: SAMPLE_NOW }).failures.filter((f) => !f.nofail);
        const reported = reportedBy(failures);
        if (failures.length > 0) stillMatched++;
        const wrong = reported.filter((r) => isForgedReport(r) || (own.size > 0 && !own.has(r)));
        if (wrong.length > 0 && problems.length < 20) problems.push(`${wrong.join(",")} <- ${injected.line}`);
      }
    }
    counts.set(label, { generated, stillMatched });
    total += generated;
    expect(problems).toEqual([]);
  });
});

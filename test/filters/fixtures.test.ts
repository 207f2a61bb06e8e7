// Real-world log lines of the bundled filters' services (fixtures/<filter>.log, annotated like fail2ban's sample
// corpus, each block saying which software version writes it): every annotated line must get its expected verdict.
// Fixtures cover the services the fail2ban corpus does not (cloud sources, newer software) and newer formats of
// those it does. Run by cloudjail's engine and, as a differential check, by the reference fail2ban.
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { requireFail2ban } from "../support/reference.js";
import { bundledConfig, bundledFilterNames } from "./bundled-filters.js";
import { ENGINES } from "./engines.js";

requireFail2ban();

const fixtureDir = fileURLToPath(new URL("./fixtures", import.meta.url));
const fixtures = readdirSync(fixtureDir)
  .filter((file) => file.endsWith(".log"))
  .map((file) => file.slice(0, -".log".length));

describe.each(ENGINES)("service fixtures against the bundled filters (%s)", (_engine, runSample) => {
  it("names only bundled filters", () => {
    const filters = new Set(bundledFilterNames());
    expect(fixtures.filter((name) => !filters.has(name))).toEqual([]);
    expect(fixtures.length).toBeGreaterThanOrEqual(12);
  });

  it.each(fixtures)("%s: every annotated line gets its verdict", (name) => {
    const { verdicts } = runSample(bundledConfig, fixtureDir, `${name}.log`);
    expect(verdicts.filter((v) => v.expected.match === true).length).toBeGreaterThan(0);
    expect(verdicts.filter((v) => !v.ok).map((v) => `${v.lineNumber} [${v.combination}] ${v.reason}`)).toEqual([]);
  });
});

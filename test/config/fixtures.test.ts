// Data-driven tests: each folder of fixtures/ is a small configuration tree with a case.json naming what to load and
// what must come out (values, or an error whose message matches). Unless a case says why not, fail2ban's own
// readers are run on the same tree and must agree (same values, or an error too).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/config-loader.js";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { requireFail2ban } from "../support/reference.js";
import { type ReferenceConfig, type ReferenceFilter, runFail2banReader } from "./reference/run-fail2ban-reader.js";

type Expected = unknown;
interface ErrorExpectation {
  readonly error: string;
}
interface FixtureCase {
  readonly description: string;
  /** Why fail2ban is not asked (a deliberate difference); absent: fail2ban must agree. */
  readonly noReference?: string;
  readonly config?: {
    readonly name: string;
    readonly gets: [string, string][];
    readonly expect: { sections?: string[]; values: (string | ErrorExpectation)[] } | ErrorExpectation;
  };
  readonly filter?: {
    readonly spec: string;
    readonly backend?: string;
    readonly expect: Record<string, Expected> | ErrorExpectation;
  };
}

const root = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const fixtures = readdirSync(root)
  .sort()
  .map((name) => ({ name, dir: join(root, name), spec: readCase(join(root, name, "case.json")) }));

function readCase(path: string): FixtureCase {
  return JSON.parse(readFileSync(path, "utf8")) as FixtureCase;
}

function isError(value: unknown): value is ErrorExpectation {
  return typeof value === "object" && value !== null && "error" in value;
}

function attempt<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function readConfigValues(dir: string, config: NonNullable<FixtureCase["config"]>) {
  const loaded = loadConfig(dir, config.name);
  return {
    sections: loaded.sections(),
    values: config.gets.map(([section, option]) => attempt(() => loaded.get(section, option) ?? { error: "missing" })),
  };
}

function readFilter(dir: string, filter: NonNullable<FixtureCase["filter"]>) {
  const definition = loadFilterDefinition(dir, filter.spec, {}, { backend: filter.backend ?? "auto" });
  return {
    failregex: definition.failregex.map((entry) => entry.pattern),
    ignoreregex: definition.ignoreregex.map((entry) => entry.pattern),
    ...(definition.prefregex !== undefined && { prefregex: definition.prefregex }),
    ...(definition.datepattern !== undefined && { datepattern: definition.datepattern }),
    ...(definition.maxlines !== undefined && { maxlines: definition.maxlines }),
    ...(definition.journalmatch !== undefined && { journalmatch: definition.journalmatch }),
    ...(definition.logtype !== undefined && { logtype: definition.logtype }),
    lines: definition.failregex.map((entry) => `${entry.file?.slice(dir.length + 1)}:${entry.line}`),
  };
}

/** Turns every `{error: "regex"}` of an expectation into a matcher of the thrown message. */
function withErrorMatchers(expected: unknown): unknown {
  if (isError(expected)) return { error: expect.stringMatching(new RegExp(expected.error)) };
  if (Array.isArray(expected)) return expected.map(withErrorMatchers);
  if (typeof expected === "object" && expected !== null) {
    return Object.fromEntries(Object.entries(expected).map(([key, value]) => [key, withErrorMatchers(value)]));
  }
  return expected;
}

/** Checks `actual` against `expected`, where an expected `{error}` is a regex the thrown message must match. */
function expectMatches(actual: unknown, expected: unknown): void {
  expect(actual).toMatchObject(withErrorMatchers(expected) as object);
}

// fail2ban's answers for every fixture (one python run for all), by fixture name.
const referenceByName = new Map<string, { filter: ReferenceFilter; config: ReferenceConfig }>();
beforeAll(() => {
  requireFail2ban();
  const checked = fixtures.filter(({ spec }) => !spec.noReference);
  const result = runFail2banReader({
    filters: checked.map(({ dir, spec }) =>
      spec.filter
        ? { spec: spec.filter.spec, backend: spec.filter.backend, configDir: dir }
        : { spec: "-", configDir: dir },
    ),
    configs: checked.map(({ dir, spec }) => ({
      name: spec.config?.name ?? "-",
      configDir: dir,
      gets: spec.config?.gets ?? [],
    })),
  });
  checked.forEach(({ name }, index) => {
    referenceByName.set(name, { filter: result.filters[index]!, config: result.configs[index]! });
  });
});

describe.each(fixtures)("fixture $name", ({ name, dir, spec }) => {
  if (spec.config) {
    it(`config: ${spec.description}`, () => {
      const actual = attempt(() => readConfigValues(dir, spec.config!));
      expectMatches(actual, spec.config!.expect);
      const known = referenceByName.get(name);
      if (known) {
        const theirs = known.config;
        if (isError(actual)) {
          expect(theirs.error ?? theirs.values?.find(isError), "fail2ban fails too").toBeDefined();
        } else {
          expect(actual.sections).toEqual(theirs.sections);
          actual.values.forEach((value, index) => {
            const other = theirs.values![index];
            if (isError(value)) expect(isError(other), `fail2ban fails on ${spec.config!.gets[index]}`).toBe(true);
            else expect(value).toBe(other);
          });
        }
      }
    });
  }

  if (spec.filter) {
    it(`filter: ${spec.description}`, () => {
      const actual = attempt(() => readFilter(dir, spec.filter!));
      expectMatches(actual, spec.filter!.expect);
      const known = referenceByName.get(name);
      if (known) {
        const theirs = known.filter;
        if (isError(actual)) {
          expect(theirs.error, "fail2ban fails too").toBeDefined();
        } else {
          const { options: _options, noDefinition: _none, ...values } = theirs;
          const { lines: _lines, ...ours } = actual;
          expect(ours).toEqual(values);
        }
      }
    });
  }
});

it("asks fail2ban about every fixture not marked otherwise", () => {
  expect(referenceByName.size).toBe(fixtures.filter(({ spec }) => !spec.noReference).length);
  expect(referenceByName.size).toBeGreaterThan(15);
});

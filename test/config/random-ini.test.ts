// Differential test: randomly generated configuration trees (seeded, so every run is the same) must be read exactly
// like fail2ban's ConfigReader reads them: same sections, same options, same interpolated values, errors alike.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/config-loader.js";
import { requireFail2ban } from "../support/reference.js";
import { type ReferenceConfig, runFail2banReader } from "./reference/run-fail2ban-reader.js";

const TREES = 250;

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SECTIONS = ["Definition", "Init", "DEFAULT", "lt_x", "Init?family=inet6", "INCLUDES", "misc"];
const NAMES = [
  "a",
  "b",
  "Mode",
  "port",
  "failregex",
  "_daemon",
  "__prefix",
  "x.y",
  "known",
  "with space",
  "before",
  "after",
];
const PIECES = [
  "plain",
  "^%(a)s <HOST>",
  "%(b)s",
  "%(mode)s",
  "100%%",
  "%(lt_x/a)s",
  "%(known/port)s",
  "%(default/b)s",
  "%(__name__)s",
  "x ;comment",
  "y;not",
  "z #not",
  "<mode>",
  "a = b",
  "c: d",
  "",
  "\\s+(?:%(port)s)",
  "inc.conf",
  "f.conf",
  "f.d/10.conf",
  "%(inc)s",
];
// Pieces that make the value fail to resolve (fail2ban rejects them too).
const BAD_PIECES = ["%(missing)s", "5%", "%(Definition/a)s", "%(a"];

function generateFile(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const piece = () => (next() < 0.04 ? pick(BAD_PIECES) : pick(PIECES));
  const lines: string[] = [];
  const sections = [...SECTIONS].sort(() => next() - 0.5).slice(0, 1 + Math.floor(next() * 4));
  if (next() < 0.015) sections.push(sections[0]!);
  if (next() < 0.02) lines.push("stray = before any section");
  for (const section of sections) {
    if (next() < 0.2) lines.push(pick(["# note", "; note", "", "   "]));
    lines.push(next() < 0.1 ? `[${section}] ; trailing` : `[${section}]`);
    const names = [...NAMES].sort(() => next() - 0.5).slice(0, 1 + Math.floor(next() * 5));
    if (next() < 0.015) names.push(names[0]!.toUpperCase());
    for (const name of names) {
      const delimiter = pick([" = ", "=", ": ", " :", " = "]);
      const indent = next() < 0.05 ? " " : "";
      lines.push(`${indent}${name}${delimiter}${piece()}${next() < 0.3 ? ` ${piece()}` : ""}`);
      const continuation = Math.floor(next() * 3);
      for (let i = 0; i < continuation; i += 1) {
        const lead = pick(["  ", "\t", "    ", "        "]);
        lines.push(next() < 0.15 ? pick(["", "  # inner note", " ; inner", "   "]) : `${lead}${piece()}`);
      }
      if (next() < 0.005) lines.push("no delimiter here");
    }
  }
  return `${lines.join(next() < 0.1 ? "\r\n" : "\n")}\n`;
}

describe("random configuration trees read like fail2ban's ConfigReader", () => {
  const root = mkdtempSync(join(tmpdir(), "cloudjail-random-ini-"));
  const trees = Array.from({ length: TREES }, (_, index) => {
    const next = random(index + 1);
    const dir = join(root, `t${index}`);
    const files: Record<string, string> = { "f.conf": generateFile(next) };
    // Most trees define the names the pieces refer to, so most values resolve.
    if (next() < 0.8)
      files["f.d/00.conf"] =
        "[DEFAULT]\na = A\nb = <b>%(a)s\nmode = normal\nport = 22\ninc = inc.conf\n[lt_x]\na = lt\n";
    if (next() < 0.5) files["f.local"] = generateFile(next);
    if (next() < 0.3) files["f.d/10.conf"] = generateFile(next);
    if (next() < 0.5) files["inc.conf"] = generateFile(next);
    if (next() < 0.2) files["inc.local"] = generateFile(next);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  });
  let reference: ReferenceConfig[] = [];

  beforeAll(() => {
    requireFail2ban();
    reference = runFail2banReader({ configs: trees.map((dir) => ({ name: "f", configDir: dir })) }).configs;
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("generates trees that mostly load and sometimes fail", () => {
    const failing = reference.filter((entry) => entry.error !== undefined).length;
    expect(failing).toBeGreaterThan(5);
    expect(failing).toBeLessThan(TREES / 2);
    const values = reference.flatMap((entry) => entry.values ?? []);
    expect(values.filter((value) => typeof value === "string").length).toBeGreaterThan(1500);
    expect(values.filter((value) => typeof value !== "string").length).toBeGreaterThan(200);
  });

  it.each(trees.map((dir, index) => [index, dir] as const))("tree %i", (index, dir) => {
    const theirs = reference[index]!;
    if (theirs.error !== undefined) {
      expect(() => loadConfig(dir, "f"), theirs.error).toThrow();
      return;
    }
    const config = loadConfig(dir, "f");
    expect(config.sections()).toEqual(theirs.sections);
    const ours: [string, string][] = [
      ...[...config.defaults.keys()].map((option) => ["DEFAULT", option] as [string, string]),
      ...config
        .sections()
        .flatMap((section) => config.options(section).map((option) => [section, option] as [string, string])),
    ];
    expect(ours).toEqual(theirs.gets);
    ours.forEach(([section, option], position) => {
      const expected = theirs.values![position];
      let value: string | { error: string };
      try {
        value = config.get(section, option) ?? { error: "missing" };
      } catch (error) {
        value = { error: (error as Error).message };
      }
      if (typeof expected === "string") expect(value, `[${section}] ${option}`).toBe(expected);
      else expect(value, `[${section}] ${option}: fail2ban says ${expected?.error}`).toHaveProperty("error");
    });
  });
});

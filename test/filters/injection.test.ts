// Log injection: for every bundled filter, lines where text the client controls (user names, URLs, headers, HELO
// names, SIP URIs, JSON values) carries a forged address. Each annotated line must get its verdict, and no forged
// address (198.51.100.0/24, see injection/README.md) may ever be reported, as a failure or otherwise.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseIp } from "../../shared/net/ip.js";
import { requireFail2ban } from "../support/reference.js";
import { bundledConfig, bundledFilterNames } from "./bundled-filters.js";
import { ENGINES } from "./engines.js";

requireFail2ban();

const injectionDir = fileURLToPath(new URL("./injection", import.meta.url));
const filters = bundledFilterNames();

function isForged(reported: string): boolean {
  const ip = parseIp(reported);
  return ip !== undefined && /^198\.51\.100\.\d+$/.test(ip.text);
}

describe.each(ENGINES)("log injection into the bundled filters (%s)", (_engine, runSample) => {
  it.each(filters)("%s: has injection samples", (name) => {
    expect(existsSync(`${injectionDir}/${name}.log`)).toBe(true);
  });

  it.each(filters)("%s: forged addresses are never reported", (name) => {
    const { verdicts, reported } = runSample(bundledConfig, injectionDir, `${name}.log`);
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.filter((v) => !v.ok).map((v) => `${v.lineNumber} [${v.combination}] ${v.reason}`)).toEqual([]);
    expect(reported.filter(isForged)).toEqual([]);
  });
});

// Differential test of shared/net/ip.ts against three other readers of the same text: Python's `ipaddress`, the
// reference fail2ban's IPAddr (socket.inet_pton underneath) and ipaddr.js. The address parser decides what is
// banned and what is ignored, so every disagreement is either a bug of ours or an intended difference listed below
// as data, with its reason. The inputs are seeded and deterministic (see ip-fuzz-inputs.ts).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { parseIp } from "../../shared/net/ip.js";
import { fail2banPython, requireFail2ban } from "../support/reference.js";
import { fuzzInputs } from "./ip-fuzz-inputs.js";

const SEED = 0x18c1a0d;
const COUNT = 6000;

/** An address as [family, value]; null when the text is no address. */
type Reading = readonly [4 | 6, bigint] | null;

interface OracleAnswer {
  readonly python: [4 | 6, string, string | null] | null;
  readonly fail2ban: [4 | 6, string] | null;
}

function askPython(inputs: readonly string[]): OracleAnswer[] {
  requireFail2ban();
  const script = join(dirname(fileURLToPath(import.meta.url)), "ip-oracle.py");
  const result = spawnSync("python3", [script], {
    input: JSON.stringify(inputs),
    encoding: "utf8",
    env: { ...process.env, PYTHONPATH: dirname(fail2banPython) },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`ip-oracle.py failed (${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout) as OracleAnswer[];
}

function ours(text: string): Reading {
  const address = parseIp(text);
  return address ? [address.family, address.value] : null;
}

/** Python's reading with the IPv4-mapped rule applied (fail2ban does the same: ::ffff:a.b.c.d is a.b.c.d). */
function pythonMapped(answer: OracleAnswer): Reading {
  if (!answer.python) return null;
  const [family, value, mapped] = answer.python;
  return mapped !== null ? [4, BigInt(mapped)] : [family, BigInt(value)];
}

function fail2banReading(answer: OracleAnswer): Reading {
  return answer.fail2ban ? [answer.fail2ban[0], BigInt(answer.fail2ban[1])] : null;
}

/** ipaddr.js in its strict forms (four-part decimal IPv4; IPv6), mapped addresses as IPv4. */
function ipaddrStrict(text: string): Reading {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) address = ipaddr.IPv4.parse(text);
  else if (ipaddr.IPv6.isValid(text)) address = ipaddr.IPv6.parse(text);
  else return null;
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  const value = address.toByteArray().reduce((sum, byte) => (sum << 8n) | BigInt(byte), 0n);
  return [address.kind() === "ipv4" ? 4 : 6, value];
}

const same = (a: Reading, b: Reading) => (a === null ? b === null : b !== null && a[0] === b[0] && a[1] === b[1]);

/** The forms we read on purpose before parsing: surrounding blanks, one pair of brackets ([::1], as in URLs). */
function unwrap(text: string): string {
  const trimmed = text.trim();
  return trimmed.startsWith("[") && trimmed.endsWith("]") ? trimmed.slice(1, -1) : trimmed;
}

const ZONE = /%([^%]*)$/;

interface IntendedDifference {
  readonly name: string;
  readonly why: string;
  /** True when this rule explains that `ours` differs from the other reader on `input`. */
  readonly applies: (input: string, ourReading: Reading, theirs: Reading) => boolean;
}

/** Where we differ from Python's ipaddress on purpose. */
const differencesFromPython: readonly IntendedDifference[] = [
  {
    name: "blanks and brackets are unwrapped",
    why: "log captures and ignoreip tokens may carry them; '[2001:db8::1]' is the usual written form of an IPv6 host",
    applies: (input, our, theirs) => theirs === null && input !== unwrap(input) && our !== null,
  },
  {
    name: "the zone id is dropped",
    why: "an address is one key in store, WAF set and firewall; firewalls and WAF cannot match on a zone",
    // Python keeps the zone as part of the address but reads the same value: the values agree, so no difference
    // shows; this rule is for zones Python refuses (empty, or a second %) that we refuse too (see next rule).
    applies: () => false,
  },
  {
    name: "a zone id must look like an interface name",
    why: "Python accepts any text after % (spaces included); attacker text must not ride along in an address",
    applies: (input, our, theirs) => our === null && theirs !== null && ZONE.test(input),
  },
];

/** Where we differ from the reference fail2ban on purpose. */
const differencesFromFail2ban: readonly IntendedDifference[] = [
  {
    name: "blanks are trimmed",
    why: "fail2ban strips brackets but not blanks; a blank around an ignoreip token is not a different address",
    applies: (input, our, theirs) => theirs === null && our !== null && input.trim() !== input,
  },
  {
    name: "a '/' makes a network",
    why: "fail2ban's IPAddr reads 'a/len' as a network; ours does that in parseNetwork, parseIp takes addresses only",
    applies: (input, our) => our === null && input.includes("/"),
  },
  {
    name: "a link-local zone id is dropped",
    why: "inet_pton refuses 'fe80::1%eth0', so fail2ban keeps it as raw text it cannot ban; we ban the address",
    applies: (input, our, theirs) => theirs === null && our !== null && ZONE.test(input),
  },
];

/**
 * Where even the strict entry points of ipaddr.js (IPv4.isValidFourPartDecimal, IPv6.isValid) read text otherwise than
 * Python, fail2ban and we do. Each is a reason not to hand it our ban decisions.
 */
const ipaddrFindings: readonly IntendedDifference[] = [
  {
    name: "legacy IPv4 forms inside IPv6",
    why: "ipaddr.js reads '::ffff:0x7f.01.1.1' and '::1:010.0.0.1' (hex, leading zeros); Python and inet_pton refuse",
    applies: (input, our, theirs) =>
      our === null && theirs !== null && /[:.](0\d|0x)/i.test(input.slice(input.lastIndexOf(":"))),
  },
  {
    name: "IPv4-compatible read as IPv4-mapped",
    why: "ipaddr.js parses '::a.b.c.d' (RFC 4291 ::a.b.c.d, a different IPv6 address) as ::ffff:a.b.c.d",
    applies: (input, our, theirs) => our?.[0] === 6 && theirs?.[0] === 4 && /^\[?::\d+\./.test(input.trim()),
  },
  {
    name: "a zone id with a dot",
    why: "ipaddr.js takes only [0-9a-z] zones; VLAN interfaces are named like eth0.100 (Python accepts them too)",
    applies: (input, our, theirs) => our !== null && theirs === null && /%[^%]*\./.test(input),
  },
];

interface Disagreement {
  readonly input: string;
  readonly ours: Reading;
  readonly theirs: Reading;
}

function explain(disagreements: readonly Disagreement[], rules: readonly IntendedDifference[]) {
  const counts = new Map<string, number>();
  const unexplained: Disagreement[] = [];
  for (const d of disagreements) {
    const rule = rules.find((r) => r.applies(d.input, d.ours, d.theirs));
    if (rule) counts.set(rule.name, (counts.get(rule.name) ?? 0) + 1);
    else unexplained.push(d);
  }
  return { counts, unexplained };
}

const show = (d: Disagreement) =>
  `${JSON.stringify(d.input)}: ours ${d.ours ? `v${d.ours[0]} ${d.ours[1]}` : "invalid"}, theirs ${d.theirs ? `v${d.theirs[0]} ${d.theirs[1]}` : "invalid"}`;

describe("shared/net/ip.ts against Python ipaddress, fail2ban and ipaddr.js (seeded fuzz)", () => {
  const inputs = fuzzInputs(SEED, COUNT);
  const answers = askPython(inputs);
  const rows = inputs.map((input, i) => ({ input, ours: ours(input), answer: answers[i]! }));

  it("covers every family of input with both verdicts", () => {
    expect(inputs).toHaveLength(COUNT);
    const valid = rows.filter((row) => row.ours !== null);
    expect(valid.filter((row) => row.ours![0] === 4).length).toBeGreaterThan(200);
    expect(valid.filter((row) => row.ours![0] === 6).length).toBeGreaterThan(1000);
    expect(rows.filter((row) => row.ours === null).length).toBeGreaterThan(1500);
    expect(valid.filter((row) => /^\[?::ffff:/i.test(row.input)).length).toBeGreaterThan(20);
    expect(valid.filter((row) => row.input.includes("%")).length).toBeGreaterThan(50);
    expect(rows.filter((row) => /(^|\.)0\d/.test(row.input)).length).toBeGreaterThan(200);
    expect(rows.filter((row) => row.input.includes("0x")).length).toBeGreaterThan(200);
  });

  it("agrees with Python's ipaddress but for the intended differences", () => {
    const disagreements = rows
      .map((row) => ({ input: row.input, ours: row.ours, theirs: pythonMapped(row.answer) }))
      .filter((d) => !same(d.ours, d.theirs));
    const { counts, unexplained } = explain(disagreements, differencesFromPython);
    expect(unexplained.map(show)).toEqual([]);
    expect(counts.get("blanks and brackets are unwrapped")).toBeGreaterThan(0);
    expect(counts.get("a zone id must look like an interface name")).toBeGreaterThan(0);
  });

  it("agrees with the reference fail2ban but for the intended differences", () => {
    const disagreements = rows
      .map((row) => ({ input: row.input, ours: row.ours, theirs: fail2banReading(row.answer) }))
      .filter((d) => !same(d.ours, d.theirs));
    const { counts, unexplained } = explain(disagreements, differencesFromFail2ban);
    expect(unexplained.map(show)).toEqual([]);
    expect(counts.get("a link-local zone id is dropped")).toBeGreaterThan(0);
  });

  it("agrees with strict ipaddr.js but where ipaddr.js is wrong (findings, as data)", () => {
    const disagreements = rows
      .map((row) => ({ input: row.input, ours: row.ours, theirs: ipaddrStrict(unwrap(row.input)) }))
      .filter((d) => !same(d.ours, d.theirs));
    const { counts, unexplained } = explain(disagreements, ipaddrFindings);
    expect(unexplained.map(show)).toEqual([]);
    for (const finding of ipaddrFindings) expect(counts.get(finding.name), finding.name).toBeGreaterThan(0);
  });

  it("never reads an octal- or hex-looking part as a number in another base", () => {
    for (const row of rows) {
      if (row.ours === null) continue;
      const v4 = row.input.match(/(?:^|:)(\d+(?:\.\d+){3})\]?(?:%.*)?$/);
      // every accepted IPv4 (also a mapped tail) is written in plain decimal, without leading zeros
      if (row.ours[0] === 4 && v4) expect(v4[1]).toMatch(/^(0|[1-9]\d*)(\.(0|[1-9]\d*)){3}$/);
      expect(row.input.replace(/%.*$/, "")).not.toMatch(/0x/i); // a zone id is a name (eth0x1 is fine)
    }
  });
});

describe("why ipaddr.js is not our parser: its default entry points accept legacy IPv4 forms", () => {
  // inet_aton's forms: a security tool must not ban 8.1.1.1 because a log line said 010.1.1.1
  it.each([
    ["010.1.1.1", "8.1.1.1"],
    ["0x7f.1", "127.0.0.1"],
    ["127.1", "127.0.0.1"],
    ["3232235777", "192.168.1.1"],
  ])("ipaddr.parse(%s) is %s; ours refuses it, as Python and fail2ban do", (input, lenient) => {
    expect(ipaddr.parse(input).toString()).toBe(lenient);
    expect(parseIp(input)).toBeUndefined();
    const [answer] = askPython([input]);
    expect(answer).toEqual({ python: null, fail2ban: null });
  });
});

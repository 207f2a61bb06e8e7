// Host placement (shared/filter/host-placement): a filter that says on which side of the client's text its program
// writes the address gets that address, whatever the client wrote; a filter that says nothing behaves as fail2ban.
// Forged addresses are in 198.51.100.0/24, real ones in 192.0.2.0/24.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { ConfigError } from "../../shared/errors.js";
import { filterSpecFromDefinition } from "../../shared/filter/filter-spec.js";
import {
  type HostPosition,
  holdsAddress,
  MAX_READINGS,
  mayHoldTwoAddresses,
  parseHostPosition,
} from "../../shared/filter/host-placement.js";
import { LogFilter } from "../../shared/filter/log-filter.js";

const NOW = 1_700_000_000;

// fail2ban 1.0.2's sshd line end: " on \S+" lets a user name ending in " ADDR on" hide the real address
const LAX_CLOSED = String.raw`^Connection closed by invalid user <F-USER>\S+|.{0,256}?</F-USER> <HOST>(?: port \d+| on \S+){0,2} \[preauth\]$`;
// a greedy head reads the LAST address first: the case `first` is for (address before the client's text)
const GREEDY_ACCESS = '^(?:.* )?<HOST> - - ".*" 401$';
// one reading only, and the real address swallowed by an unnamed " on \S+" after it
const SWALLOWING = String.raw`^Disconnecting user <F-USER>\S+</F-USER> <HOST>(?: on \S+)? port \d+$`;
// an address after the host that the regex names on purpose (PAM's "via" the server's own address)
const NAMED_TAIL = String.raw`^PAM: failure for <F-USER>.*</F-USER> from <HOST>(?: via <F-VIA>\S+</F-VIA>)?$`;
// every address of the line is a reading of its own
const EVERY_WORD = "^Failed for <F-USER>.*?</F-USER> <HOST>(?: .*)?$";

interface Case {
  readonly name: string;
  readonly regex: string;
  readonly position: HostPosition | undefined;
  readonly line: string;
  readonly useDns?: "yes" | "no" | "raw";
  /** The address reported, or undefined for no failure. */
  readonly reported: string | undefined;
  readonly ambiguous?: boolean;
}

function addresses(count: number): string {
  return Array.from({ length: count }, (_, k) => `198.51.100.${k + 1}`).join(" ");
}

const CASES: readonly Case[] = [
  {
    name: "no option: fail2ban's first reading, forged address and all",
    regex: LAX_CLOSED,
    position: undefined,
    line: "Connection closed by invalid user x 198.51.100.7 on 192.0.2.7 port 22 [preauth]",
    reported: "198.51.100.7",
  },
  {
    name: "last: the address after the user name",
    regex: LAX_CLOSED,
    position: "last",
    line: "Connection closed by invalid user x 198.51.100.7 on 192.0.2.7 port 22 [preauth]",
    reported: "192.0.2.7",
  },
  {
    name: "last with host names allowed: a port number never reads as the last host",
    regex: LAX_CLOSED,
    position: "last",
    useDns: "yes",
    line: "Connection closed by invalid user x 198.51.100.7 on 192.0.2.7 port 22 [preauth]",
    reported: "192.0.2.7",
  },
  {
    name: "last: IPv6 behind a forged IPv4 and a forged IPv6",
    regex: LAX_CLOSED,
    position: "last",
    line: "Connection closed by invalid user a 198.51.100.1 on 2001:db8:ffff::1 on 2001:db8::7 port 22 [preauth]",
    reported: "2001:db8::7",
  },
  {
    name: "last: a plain line is unchanged",
    regex: LAX_CLOSED,
    position: "last",
    line: "Connection closed by invalid user admin 192.0.2.8 port 22 [preauth]",
    reported: "192.0.2.8",
  },
  {
    name: "no option: a greedy head takes the address in the request",
    regex: GREEDY_ACCESS,
    position: undefined,
    line: '192.0.2.9 - - "GET /a 198.51.100.9 - - "x" 401',
    reported: "198.51.100.9",
  },
  {
    name: "first: the address that opens the line",
    regex: GREEDY_ACCESS,
    position: "first",
    line: '192.0.2.9 - - "GET /a 198.51.100.9 - - "x" 401',
    reported: "192.0.2.9",
  },
  {
    name: "first: an address in the line's head (a syslog host) is no reason to refuse",
    regex: String.raw`^(?:\S+ )?<HOST> failed login for <F-USER>.*</F-USER>$`,
    position: "first",
    line: "10.0.0.1 192.0.2.14 failed login for x 198.51.100.14",
    reported: "192.0.2.14",
  },
  {
    name: "no option: an unnamed tail swallows the real address",
    regex: SWALLOWING,
    position: undefined,
    line: "Disconnecting user x 198.51.100.10 on 192.0.2.10 port 22",
    reported: "198.51.100.10",
  },
  {
    name: "last: an address in the unnamed tail refuses the match",
    regex: SWALLOWING,
    position: "last",
    line: "Disconnecting user x 198.51.100.10 on 192.0.2.10 port 22",
    reported: undefined,
    ambiguous: true,
  },
  {
    name: "last: an address the regex names after the host is read on purpose",
    regex: NAMED_TAIL,
    position: "last",
    line: "PAM: failure for james from 192.0.2.11 via 10.0.0.1",
    reported: "192.0.2.11",
  },
  {
    name: `last: ${MAX_READINGS - 2} forged readings are all tried`,
    regex: EVERY_WORD,
    position: "last",
    line: `Failed for x ${addresses(MAX_READINGS - 2)} 192.0.2.12`,
    reported: "192.0.2.12",
  },
  {
    name: `last: more than ${MAX_READINGS} readings refuse the match`,
    regex: EVERY_WORD,
    position: "last",
    line: `Failed for x ${addresses(MAX_READINGS + 5)} 192.0.2.13`,
    reported: undefined,
    ambiguous: true,
  },
];

describe("host placement", () => {
  it.each(CASES)("$name", (c) => {
    const filter = new LogFilter(
      { failregex: [c.regex], ...(c.position ? { hostposition: c.position } : {}) },
      { useDns: c.useDns ?? "no" },
    );
    const result = filter.processLine(c.line, { now: NOW });
    expect(result.failures.map((f) => f.id)).toEqual(c.reported === undefined ? [] : [c.reported]);
    expect(result.ambiguousHost ?? false).toBe(c.ambiguous ?? false);
    expect(filter.ambiguousMatches).toBe(c.ambiguous ? 1 : 0);
  });

  it("keeps the other groups of the chosen reading, read from the original text", () => {
    const filter = new LogFilter({ failregex: [LAX_CLOSED], hostposition: "last" }, { useDns: "no" });
    const [failure] = filter.processLine(
      "Connection closed by invalid user x 198.51.100.7 on 192.0.2.7 port 22 [preauth]",
      { now: NOW },
    ).failures;
    expect(failure?.fields.user).toBe("x 198.51.100.7 on");
  });
});

describe("mayHoldTwoAddresses", () => {
  it.each([
    ["Connection closed by invalid user admin 192.0.2.8 port 22 [preauth]", false],
    ["Failed password for root from 2001:db8::1 port 22 ssh2", false],
    ["Connection closed by invalid user x 198.51.100.7 on 192.0.2.7 port 22 [preauth]", true],
    ["invalid user x1.2.3.4 192.0.2.7", true],
    ["user x 2001:db8::2 on 2001:db8::1", true],
    ["at 10:00:01 from 192.0.2.1", true],
  ])("%j -> %s", (text, expected) => {
    expect(mayHoldTwoAddresses(text)).toBe(expected);
  });
});

describe("holdsAddress", () => {
  it.each([
    [" port 22 [preauth]", false],
    [": RSA SHA256:v3dpapGleDaUKf4V1vKyR9ZyUgjaJAmoCTcb2PLljI", false],
    [": MD5:f5:6b:0c:4e:2a:51:2d:87:83:3e:a6:4d:6c:ff:26:7e", false],
    [" on 192.0.2.1 port 22", true],
    [" on [2001:db8::1]:22", true],
    [" from 192.0.2.1: x", true],
    [" on ::ffff:192.0.2.1", true],
    [" version 1.2.3", false],
  ])("%j -> %s", (text, expected) => {
    expect(holdsAddress(text)).toBe(expected);
  });
});

describe("the hostposition option", () => {
  const scratch = mkdtempSync(join(tmpdir(), "cloudjail-hostposition-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  mkdirSync(join(scratch, "filter.d"));
  const write = (name: string, extra: string) =>
    writeFileSync(
      join(scratch, "filter.d", `${name}.conf`),
      `[Definition]\nfailregex = ${LAX_CLOSED}\n${extra}\n[Init]\nplace = last\n`,
    );
  write("plain", "");
  write("placed", "hostposition = last");
  write("interpolated", "hostposition = <place>");
  write("mistyped", "hostposition = lats");

  it.each([
    ["plain", {}, undefined],
    ["placed", {}, "last"],
    ["interpolated", {}, "last"],
    ["interpolated", { place: "first" }, "first"],
  ] as const)("%s %j -> %s", (name, args, expected) => {
    const spec = filterSpecFromDefinition(loadFilterDefinition(scratch, { name, options: { ...args } }));
    expect(spec.hostposition).toBe(expected);
  });

  it("a jail's own hostposition wins over the filter's", () => {
    const spec = filterSpecFromDefinition(loadFilterDefinition(scratch, "placed", { hostposition: "any" }));
    expect(spec.hostposition).toBe("any");
  });

  it("a mistyped value is a configuration error naming the file and option", () => {
    const load = () => filterSpecFromDefinition(loadFilterDefinition(scratch, "mistyped"));
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/mistyped\.conf.*hostposition must be one of any, first, last, found 'lats'/);
  });

  it.each(["", " Last ", "FIRST", "any"])("parses %j", (value) => {
    expect(HOST_POSITIONS_OK).toContain(parseHostPosition(value));
  });
});

const HOST_POSITIONS_OK: readonly string[] = ["any", "first", "last"];

// The log-injection generator: from each sample line of a bundled filter, lines where an attacker wrote a forged
// address into a field it controls. The fields are found in the line itself: the values the filter captures as named
// fields (user names...), quoted strings (requests, URLs, agents, version banners, JSON values), and parenthesised or
// angle-bracketed words (HELO names, senders). The real address's own field is never touched.

/** Forged addresses come from here (TEST-NET-2), as in injection/README.md; a forged host name is FORGED_NAME. */
export const FORGED_NET = "198.51.100.";
export const FORGED_NAME = "forged.example";

/** What an attacker writes, given a forged address: shapes that read like the end of a real line, or its middle. */
export const PAYLOADS: ReadonlyArray<(forged: string) => string> = [
  // at the end of a field: the program's own blank then follows, and the real address after it
  (f) => ` ${f} on`,
  (f) => ` ${f} port 1 on`,
  (f) => ` ${f} from`,
  (f) => ` ${f}`,
  // at the start or inside a field
  (f) => `${f} on `,
  (f) => `${f} port 1 on `,
  (f) => `${f} from `,
  (f) => ` from ${f} port 1 ssh2`,
  (f) => ` rhost=${f} `,
  (f) => `[${f}]`,
  (f) => `[${f}]:22 `,
  (f) => `client: ${f}, `,
  (f) => `${f} - - `,
  () => `${FORGED_NAME} `,
];

/** Groups that hold the address, the failure id or line structure: never client fields. */
// `via` and `local` are the server's own address in sshd's lines (named so that placement reads them on purpose).
const NOT_CLIENT_FIELDS = new Set([
  "ip4",
  "ip6",
  "dns",
  "host",
  "fid",
  "mlfid",
  "content",
  "cidr",
  "fport",
  "port",
  "via",
  "local",
]);

/** Ranges [start, end) of the line that hold client text, none of them overlapping the real address. */
export function clientSpans(
  line: string,
  host: string | undefined,
  fields: Readonly<Record<string, unknown>>,
): Array<readonly [number, number]> {
  const hostAt = host !== undefined ? line.indexOf(host) : -1;
  const hostEnd = hostAt === -1 ? -1 : hostAt + (host as string).length;
  const spans: Array<readonly [number, number]> = [];
  const add = (start: number, end: number) => {
    if (end <= start) return;
    if (hostAt !== -1 && start < hostEnd && end > hostAt) return;
    if (!spans.some(([s, e]) => s === start && e === end)) spans.push([start, end]);
  };
  for (const [name, value] of Object.entries(fields)) {
    if (NOT_CLIENT_FIELDS.has(name) || typeof value !== "string" || value.trim() === "") continue;
    const at = line.indexOf(value);
    if (at !== -1) add(at, at + value.length);
  }
  for (const [open, close] of [
    ['"', '"'],
    ["'", "'"],
    ["(", ")"],
    ["<", ">"],
  ] as const) {
    for (let start = line.indexOf(open); start !== -1; ) {
      const end = line.indexOf(close, start + 1);
      if (end === -1) break;
      add(start + 1, end);
      start = line.indexOf(open, end + 1);
    }
  }
  return spans;
}

/** Where to write inside a span: its start, its end, and after each blank in it (at most `limit` places). */
export function insertionPoints(line: string, [start, end]: readonly [number, number], limit = 6): number[] {
  const points = new Set<number>([start, end]);
  for (let k = start; k < end && points.size < limit; k++) if (line[k] === " ") points.add(k + 1);
  return [...points];
}

/** One generated line: the sample it comes from, where the payload went, and the forged address it carries. */
export interface InjectedLine {
  readonly line: string;
  readonly forged: string;
  readonly at: number;
}

/** Every injected variant of `line`: each payload at each insertion point of each client span. */
export function injectedLines(line: string, spans: ReadonlyArray<readonly [number, number]>): InjectedLine[] {
  const out: InjectedLine[] = [];
  let n = 0;
  const seen = new Set<number>();
  for (const span of spans) {
    for (const at of insertionPoints(line, span)) {
      if (seen.has(at)) continue;
      seen.add(at);
      for (const payload of PAYLOADS) {
        const forged = `${FORGED_NET}${(n++ % 250) + 1}`;
        out.push({ line: line.slice(0, at) + payload(forged) + line.slice(at), forged, at });
      }
    }
  }
  return out;
}

/** True when a reported id or host is one an attacker wrote (forged address or name). */
export function isForgedReport(reported: string): boolean {
  return (
    reported.startsWith(FORGED_NET) || reported.includes(FORGED_NAME) || reported.startsWith(`::ffff:${FORGED_NET}`)
  );
}

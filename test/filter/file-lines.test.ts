// The worker's own line reader: byte ranges, line terminators, a byte-order mark, lines longer than its buffer and
// multi-byte characters, checked against the plain split of the decoded file.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileLines } from "../../shared/filter/watchdog/file-lines.js";

const dir = mkdtempSync(join(tmpdir(), "cloudjail-file-lines-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The lines as [text, start, next]; read one by one, since the reader reuses its line object. */
function read(path: string, start: number, end: number): Array<[string, number, number]> {
  const lines: Array<[string, number, number]> = [];
  for (const line of fileLines(path, start, end)) lines.push([line.text, line.start, line.next]);
  return lines;
}

describe("fileLines", () => {
  it.each([
    [
      "plain",
      "a\nbb\nccc\n",
      [
        ["a", 0, 2],
        ["bb", 2, 5],
        ["ccc", 5, 9],
      ],
    ],
    [
      "no final newline",
      "a\nbb",
      [
        ["a", 0, 2],
        ["bb", 2, 4],
      ],
    ],
    [
      "CRLF",
      "a\r\nbb\r\n",
      [
        ["a", 0, 3],
        ["bb", 3, 7],
      ],
    ],
    [
      "final CR",
      "a\nbb\r",
      [
        ["a", 0, 2],
        ["bb", 2, 5],
      ],
    ],
    [
      "blank lines",
      "\n\na\n",
      [
        ["", 0, 1],
        ["", 1, 2],
        ["a", 2, 4],
      ],
    ],
    [
      "multi-byte",
      "usér é\n€\n",
      [
        ["usér é", 0, 9],
        ["€", 9, 13],
      ],
    ],
    ["empty", "", []],
  ] as const)("splits %s", (name, content, expected) => {
    const path = write(`${name}.log`, content);
    expect(read(path, 0, Buffer.byteLength(content))).toEqual(expected);
  });

  it("skips a byte-order mark at the start of the file only", () => {
    const path = write("bom.log", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("a\nb\n")]));
    expect(read(path, 0, 7)).toEqual([
      ["a", 3, 5],
      ["b", 5, 7],
    ]);
    expect(read(path, 5, 7)).toEqual([["b", 5, 7]]);
  });

  it("reads only its range", () => {
    const path = write("range.log", "one\ntwo\nthree\nfour\n");
    expect(read(path, 4, 14)).toEqual([
      ["two", 4, 8],
      ["three", 8, 14],
    ]);
  });

  it.each([
    ["ASCII", (i: number) => `line ${i}${i % 3 === 0 ? "\r" : ""}`],
    ["ASCII with a few non-ASCII lines", (i: number) => (i % 50_000 === 7 ? `usér ${i}` : `line ${i}`)],
  ])("reads many lines (%s) across buffer boundaries, with their offsets", (_, make) => {
    const lines = Array.from({ length: 300_000 }, (_, i) => make(i));
    const content = `${lines.join("\n")}\n`;
    const path = write("many.log", content);
    let offset = 0;
    const expected = lines.map((line): [string, number, number] => {
      const start = offset;
      offset += Buffer.byteLength(line) + 1;
      return [line.replace(/\r$/, ""), start, offset];
    });
    expect(read(path, 0, Buffer.byteLength(content))).toEqual(expected);
  });

  it("reads lines longer than its buffer, and many lines across buffer boundaries", () => {
    const long = "x".repeat(3 << 20);
    const short = Array.from({ length: 200_000 }, (_, i) => `line ${i} é`);
    const content = `${long}\n${short.join("\n")}\n${long}`;
    const path = write("long.log", content);
    const lines = read(path, 0, Buffer.byteLength(content)).map(([text]) => text);
    expect(lines).toEqual(content.split("\n"));
  });
});

// The split build as CDK runs it: handlerBuildCommand is a bash command line (CDK's bundling hooks run in bash), and
// every word must reach esbuild exactly as handlerBuildOptions says, whatever the paths hold.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { handlerBuildCommand, handlerBuildOptions, LAMBDA_BANNER } from "../../cdk/lambda-bundling.js";

const dir = mkdtempSync(join(tmpdir(), "cloudjail-bundling-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for the esbuild binary that prints the words it was given, as JSON. */
function argumentPrinter(): string {
  const path = join(dir, "print args");
  writeFileSync(path, `#!${process.execPath}\nprocess.stdout.write(JSON.stringify(process.argv.slice(2)));\n`);
  chmodSync(path, 0o755);
  return path;
}

/** The words bash passes to the program of `command`. */
function wordsOf(command: string): string[] {
  const run = spawnSync("bash", ["-c", command], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  return JSON.parse(run.stdout) as string[];
}

describe("handlerBuildCommand", () => {
  it.each([
    ["plain paths", "/srv/app/lambdas/ingest.ts", "/tmp/cdk.out/asset.1"],
    ["spaces and quotes", "/home/o'brien/my app/lambdas/ingest.ts", "/tmp/cdk out/it's here"],
    ["shell characters", "/srv/$HOME/`id`/ingest.ts", "/tmp/a;b&&c|d>e"],
  ])("passes every word intact through bash: %s", (_what, entry, outdir) => {
    const words = wordsOf(handlerBuildCommand(argumentPrinter(), entry, outdir));
    const options = handlerBuildOptions(entry, outdir);
    expect(words[0]).toBe(entry);
    expect(words).toContain("--bundle");
    expect(words).toContain("--splitting");
    expect(words).toContain("--minify");
    expect(words).toContain(`--outdir=${outdir}`);
    expect(words).toContain(`--banner:js=${LAMBDA_BANNER}`);
    expect(words).toContain(`--target=${options.target}`);
    expect(words).toContain(`--chunk-names=${options.chunkNames}`);
    expect(words).toContain("--entry-names=index");
    expect(words).toContain("--out-extension:.js=.mjs");
    for (const name of options.external) expect(words).toContain(`--external:${name}`);
  });
});

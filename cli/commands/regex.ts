export async function run(_argv: string[]): Promise<number> {
  process.stderr.write("cloudjail regex: not built yet\n");
  return 1;
}

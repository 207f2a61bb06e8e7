/** One figure a benchmark reports. */
export interface BenchRow {
  readonly name: string;
  readonly value: number | string;
  readonly unit: string;
  readonly note?: string;
}

/** A benchmark size from the environment (`name`), or `fallback` when unset; anything but a positive number is refused. */
export function positiveFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name] === undefined ? fallback : Number(env[name]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bench: ${name} must be a positive number`);
  return value;
}

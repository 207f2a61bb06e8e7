/** One figure a benchmark reports. */
export interface BenchRow {
  readonly name: string;
  readonly value: number | string;
  readonly unit: string;
  readonly note?: string;
}

// Metrics as CloudWatch Embedded Metric Format log lines: the Lambda's log output becomes metrics with no API call
// and no extra permission. One line per dimension set at flush.

/** Where EMF lines go (stdout in Lambda). */
export type LineSink = (line: string) => void;

/** Collects counters per dimension set during one invocation and writes them as EMF lines. */
export class EmbeddedMetrics {
  private readonly values = new Map<string, { dimensions: Record<string, string>; metrics: Map<string, number> }>();

  constructor(
    private readonly namespace: string,
    private readonly baseDimensions: Record<string, string>,
    private readonly sink: LineSink = (line) => process.stdout.write(`${line}\n`),
    private readonly clock: () => number = Date.now,
  ) {}

  /** Adds `value` to metric `name` for the extra dimensions (e.g. `{Jail: "sshd"}`). */
  add(name: string, value: number, dimensions: Record<string, string> = {}): void {
    const all = { ...this.baseDimensions, ...dimensions };
    const key = JSON.stringify(Object.entries(all).sort());
    let entry = this.values.get(key);
    if (!entry) {
      entry = { dimensions: all, metrics: new Map() };
      this.values.set(key, entry);
    }
    entry.metrics.set(name, (entry.metrics.get(name) ?? 0) + value);
  }

  /** Sets metric `name` to `value` (a gauge such as active bans). */
  set(name: string, value: number, dimensions: Record<string, string> = {}): void {
    this.add(name, 0, dimensions);
    const all = { ...this.baseDimensions, ...dimensions };
    this.values.get(JSON.stringify(Object.entries(all).sort()))!.metrics.set(name, value);
  }

  /** Writes everything collected and starts over. */
  flush(): void {
    for (const { dimensions, metrics } of this.values.values()) {
      const names = [...metrics.keys()];
      this.sink(
        JSON.stringify({
          _aws: {
            Timestamp: this.clock(),
            CloudWatchMetrics: [
              {
                Namespace: this.namespace,
                Dimensions: [Object.keys(dimensions)],
                Metrics: names.map((Name) => ({ Name, Unit: "Count" })),
              },
            ],
          },
          ...dimensions,
          ...Object.fromEntries(metrics),
        }),
      );
    }
    this.values.clear();
  }
}

import { describe, expect, it } from "vitest";
import { EmbeddedMetrics } from "../../../cloud/metrics/embedded-metrics.js";

describe("EmbeddedMetrics", () => {
  it("writes one Embedded Metric Format line per dimension set, sums counters, keeps the last gauge", () => {
    const lines: string[] = [];
    const metrics = new EmbeddedMetrics(
      "Cloudjail",
      { Stack: "prod" },
      (line) => lines.push(line),
      () => 1_700_000_000_000,
    );
    metrics.add("LinesRead", 10);
    metrics.add("LinesRead", 5);
    metrics.add("Failures", 2, { Jail: "sshd" });
    metrics.set("ActiveBans", 3, { Jail: "sshd" });
    metrics.set("ActiveBans", 4, { Jail: "sshd" });
    metrics.flush();
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        _aws: {
          Timestamp: 1_700_000_000_000,
          CloudWatchMetrics: [
            { Namespace: "Cloudjail", Dimensions: [["Stack"]], Metrics: [{ Name: "LinesRead", Unit: "Count" }] },
          ],
        },
        Stack: "prod",
        LinesRead: 15,
      },
      {
        _aws: {
          Timestamp: 1_700_000_000_000,
          CloudWatchMetrics: [
            {
              Namespace: "Cloudjail",
              Dimensions: [["Stack", "Jail"]],
              Metrics: [
                { Name: "Failures", Unit: "Count" },
                { Name: "ActiveBans", Unit: "Count" },
              ],
            },
          ],
        },
        Stack: "prod",
        Jail: "sshd",
        Failures: 2,
        ActiveBans: 4,
      },
    ]);
    metrics.flush();
    expect(lines).toHaveLength(2);
  });
});

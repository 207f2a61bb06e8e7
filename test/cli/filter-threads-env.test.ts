// CLOUDJAIL_FILTER_THREADS: how many threads the daemon's filters share; a bad value is refused, naming it.
import { describe, expect, it } from "vitest";
import { filterThreadsFromEnv } from "../../cli/commands/server.js";

describe("CLOUDJAIL_FILTER_THREADS", () => {
  it.each([
    [undefined, undefined],
    ["", undefined],
    ["1", 1],
    ["4", 4],
    ["64", 64],
  ])("%j gives %j", (value, threads) => {
    expect(filterThreadsFromEnv(value === undefined ? {} : { CLOUDJAIL_FILTER_THREADS: value })).toBe(threads);
  });

  it.each(["0", "-1", "1.5", "65", "two"])("refuses %j", (value) => {
    expect(() => filterThreadsFromEnv({ CLOUDJAIL_FILTER_THREADS: value })).toThrow(
      `CLOUDJAIL_FILTER_THREADS must be a whole number from 1 to 64, not '${value}'`,
    );
  });
});

// The bundled filters run by cloudjail's own engine (loadFilterDefinition + LogFilter), configured the way fail2ban's
// sample tests configure theirs: raw hosts, every failregex checked, fail2ban's test time zone and clock.
import type { LogFilter } from "../../shared/filter/log-filter.js";
import { type FilterFactory, runSampleFile, sampleFilter } from "../support/sample-conformance.js";
import type { SampleRun } from "./reference-filter.js";

/** A LogFilter for `name` (a `.log` extension is dropped) with `options` as filter arguments, from `configDir`. */
export function makeEngineFilter(configDir: string, name: string, options: Record<string, string>): LogFilter {
  return sampleFilter(configDir, name, options);
}

/** Runs an annotated sample file through our engine; also returns every id and host any failure carried. */
export function runSampleFileWithEngine(configDir: string, sampleDir: string, name: string): SampleRun {
  const reported: string[] = [];
  const factory: FilterFactory = (filterName, options) => {
    const filter = makeEngineFilter(configDir, filterName, options);
    return {
      processLine(line, context) {
        const result = filter.processLine(line, context);
        for (const failure of result.failures) {
          reported.push(failure.id);
          if (typeof failure.fields.host === "string") reported.push(failure.fields.host);
          if (failure.ip !== undefined) reported.push(failure.ip);
        }
        return result;
      },
    };
  };
  const verdicts = runSampleFile(sampleDir, name, factory);
  return { verdicts, reported: reported.filter((id) => id !== "") };
}

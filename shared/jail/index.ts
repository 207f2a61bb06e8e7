// Public surface of the jail logic: configuration model, pure decisions, and the runner over a Store.

export { normalizeAddress, parseIp, parseNetworkStrict } from "../net/ip.js";
export { type BanTimeIncrement, banTimeIncrement, DEFAULT_BANTIME_FORMULA, nextBanTime } from "./ban-time.js";
export type { BanDecision, Decision, Failure, FailureOutcome, UnbanDecision } from "./decision.js";
export {
  IgnoreIpSyntaxError,
  IgnoreList,
  type IgnoreSources,
  type IgnoreSpec,
  type NameResolver,
  parseIgnoreIp,
  resolveIgnoreNames,
} from "./ignore-list.js";
export type { JailConfig, LogPath, UseDns } from "./jail-config.js";
export { type LoadJailsOptions, loadJails, readEnabled, readJail } from "./jail-config-reader.js";
export { DEFAULT_PURGE_AGE } from "./jail-decision.js";
export { DEFAULT_POLICY, type JailPolicy, jailPolicy, makeJailPolicy } from "./jail-policy.js";
export {
  type ActiveBan,
  JailRunner,
  type JailRunnerOptions,
  replayFailures,
  StoreContentionError,
} from "./jail-runner.js";
export { parseTimeSpan, TimeSpanSyntaxError } from "./time-span.js";

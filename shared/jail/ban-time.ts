import { type CompiledExpression, compileExpression } from "./python-expression.js";

/** fail2ban's default `bantime.formula`: doubles the ban time with each previous ban, up to 2^20. */
export const DEFAULT_BANTIME_FORMULA = "ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor";

/** The `bantime.*` options, already validated (see {@link banTimeIncrement}). */
export interface BanTimeIncrement {
  /** `bantime.increment`: longer bans for addresses banned before. */
  readonly enabled: boolean;
  /** `bantime.factor`, evaluated. */
  readonly factor: number;
  /** `bantime.formula` source (used when there are no multipliers). */
  readonly formula: string;
  /** `bantime.multipliers`: ban time times factor times multipliers[previous bans] (the last one repeats). */
  readonly multipliers: readonly number[];
  /** `bantime.maxtime`, seconds: the increment never goes beyond. */
  readonly maxTime?: number;
  /** `bantime.rndtime`, seconds: up to this much random time is added so botnets cannot predict the unban. */
  readonly rndTime?: number;
  /** `bantime.overalljails`: previous bans are counted in every jail, not only this one. */
  readonly overallJails: boolean;
  /** The compiled formula (or multipliers rule), from previous-ban count and base ban time to seconds. */
  readonly evaluate: (banTime: number, previousBans: number) => number;
}

/** Raw `bantime.*` values; undefined means "not set" (fail2ban's defaults apply). */
export interface BanTimeIncrementOptions {
  readonly enabled?: boolean;
  readonly factor?: string;
  readonly formula?: string;
  readonly multipliers?: string;
  readonly maxTime?: number;
  readonly rndTime?: number;
  readonly overallJails?: boolean;
}

/**
 * Builds the increment rule from the `bantime.*` options, with fail2ban's semantics: multipliers win over the
 * formula and do not keep the base time as a floor; the formula does (`max(ban.Time, formula)`); `maxtime` caps;
 * `rndtime` is added last. Throws an ExpressionSyntaxError (with position) for a bad formula or factor, and a
 * RangeError for bad multipliers.
 */
export function banTimeIncrement(options: BanTimeIncrementOptions = {}): BanTimeIncrement {
  const factor = options.factor === undefined ? 1 : compileExpression(options.factor, [])({});
  const formula = options.formula ?? DEFAULT_BANTIME_FORMULA;
  const multipliers = (options.multipliers ?? "")
    .split(/\s+/)
    .filter((word) => word !== "")
    .map((word) => {
      if (!/^\d+$/.test(word)) throw new RangeError(`bantime.multipliers: "${word}" is not a whole number`);
      return Number(word);
    });
  let rule: (banTime: number, count: number) => number;
  if (multipliers.length > 0) {
    rule = (banTime, count) => banTime * factor * (multipliers[Math.min(count, multipliers.length - 1)] ?? 1);
  } else {
    const compiled: CompiledExpression = compileExpression(formula, ["ban.Time", "ban.Count", "banFactor"]);
    rule = (banTime, count) =>
      Math.max(banTime, compiled({ "ban.Time": banTime, "ban.Count": count, banFactor: factor }));
  }
  return {
    enabled: options.enabled ?? false,
    factor,
    formula,
    multipliers,
    ...(options.maxTime === undefined ? {} : { maxTime: options.maxTime }),
    ...(options.rndTime === undefined ? {} : { rndTime: options.rndTime }),
    overallJails: options.overallJails ?? false,
    evaluate: (banTime, count) => {
      const value = rule(banTime, count);
      return options.maxTime === undefined ? value : Math.min(value, options.maxTime);
    },
  };
}

/**
 * The length of a new ban, in seconds (negative: permanent). `previousBans` is the ban count known for the address
 * before this ban (in this jail, or summed over all jails with overalljails). Like fail2ban, only positive ban times
 * grow, a first ban keeps the base time, and `random` (0 <= r < 1, injected for reproducible runs) adds rndtime.
 */
export function nextBanTime(
  baseBanTime: number,
  previousBans: number,
  increment: BanTimeIncrement,
  random: () => number,
): number {
  if (!increment.enabled || baseBanTime <= 0 || previousBans <= 0) return baseBanTime;
  const value = increment.evaluate(baseBanTime, previousBans);
  return increment.rndTime === undefined ? value : value + random() * increment.rndTime;
}

// The settings the CDK construct hands to the functions through environment variables (names and parsing in one
// place, so the two sides cannot drift apart). Parsing is strict: a function with a broken setting fails at cold
// start naming the variable, not halfway through enforcing a ban.
import { ConfigError } from "../../shared/errors.js";
import type { RuleRange } from "../targets/network-acl-plan.js";
import type { WafIpSetRef } from "../targets/waf-ip-set-target.js";

/** Environment variable names. */
export const ENV = {
  table: "CLOUDJAIL_TABLE",
  wafScope: "CLOUDJAIL_WAF_SCOPE",
  /** CloudFormation `Ref` of the IPv4 / IPv6 IP set: `name|id|scope`. */
  wafIpv4: "CLOUDJAIL_WAF_IPV4",
  wafIpv6: "CLOUDJAIL_WAF_IPV6",
  naclIds: "CLOUDJAIL_NACL_IDS",
  naclRules: "CLOUDJAIL_NACL_RULES",
  naclLimit: "CLOUDJAIL_NACL_LIMIT",
  topicArn: "CLOUDJAIL_TOPIC_ARN",
  /** The alert outbox table (one immediate alert per minute, the rest as a digest). */
  alertTable: "CLOUDJAIL_ALERT_TABLE",
  label: "CLOUDJAIL_LABEL",
  announceUnbans: "CLOUDJAIL_ANNOUNCE_UNBANS",
} as const;

/** CloudWatch namespace of the functions' metrics. */
export const METRICS_NAMESPACE = "Cloudjail";
/** The `service` of every log line and the service dimension of every metric (Powertools' convention). */
export const SERVICE_NAME = "cloudjail";

/** The dimensions of every metric: the stack, and Powertools' usual `service`. */
export function metricDimensions(label: string): Record<string, string> {
  return { Stack: label, service: SERVICE_NAME };
}

/** Everything a function needs besides the jails. */
export interface RuntimeSettings {
  readonly tableName: string;
  readonly waf?: { readonly scope: "REGIONAL" | "CLOUDFRONT"; readonly ipv4: WafIpSetRef; readonly ipv6: WafIpSetRef };
  readonly nacl?: { readonly ids: readonly string[]; readonly range: RuleRange; readonly limit: number };
  readonly topicArn?: string;
  /** Alert outbox table; without it every invocation mails its own bans. */
  readonly alertTable?: string;
  /** The stack's name in alerts and metrics. */
  readonly label: string;
  readonly announceUnbans: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`environment variable ${name} is not set`, { option: name });
  return value;
}

function ipSetRef(env: Env, name: string): WafIpSetRef {
  const [setName, id] = required(env, name).split("|");
  if (!setName || !id) throw new ConfigError(`${name} must be "name|id|scope" (the IP set's Ref)`, { option: name });
  return { name: setName, id };
}

/** Reads the settings from the environment; throws ConfigError naming the variable at fault. */
export function readRuntimeSettings(env: Env = process.env): RuntimeSettings {
  const scope = env[ENV.wafScope];
  if (scope !== undefined && scope !== "REGIONAL" && scope !== "CLOUDFRONT") {
    throw new ConfigError(`${ENV.wafScope} must be REGIONAL or CLOUDFRONT`, { option: ENV.wafScope });
  }
  const naclIds = (env[ENV.naclIds] ?? "").split(",").filter((id) => id !== "");
  let nacl: RuntimeSettings["nacl"];
  if (naclIds.length > 0) {
    const range = /^(\d+)-(\d+)$/.exec(required(env, ENV.naclRules));
    if (!range) throw new ConfigError(`${ENV.naclRules} must be "first-last"`, { option: ENV.naclRules });
    nacl = {
      ids: naclIds,
      range: { first: Number(range[1]), last: Number(range[2]) },
      limit: Number(env[ENV.naclLimit] ?? "20"),
    };
  }
  return {
    tableName: required(env, ENV.table),
    ...(scope ? { waf: { scope, ipv4: ipSetRef(env, ENV.wafIpv4), ipv6: ipSetRef(env, ENV.wafIpv6) } } : {}),
    ...(nacl ? { nacl } : {}),
    ...(env[ENV.topicArn] ? { topicArn: env[ENV.topicArn] } : {}),
    ...(env[ENV.alertTable] ? { alertTable: env[ENV.alertTable] } : {}),
    label: env[ENV.label] || "cloudjail",
    announceUnbans: env[ENV.announceUnbans] === "true",
  };
}

// The `-c name=value` options of the CDK app, parsed in one pure function so that each option is checked (and its
// mistakes reported with the option's name) before anything is synthesized. Values arrive as strings from the command
// line, or as JSON values from cdk.json / cdk.context.json.
import * as logs from "aws-cdk-lib/aws-logs";
import { ConfigError } from "../shared/errors.js";
import type { CloudjailProps } from "./cloudjail.js";

/** The construct properties the context options set (jails and stack name are read by the app itself). */
export type ContextProps = Omit<CloudjailProps, "deployment">;

/** Reads one context value; undefined when unset or empty. */
export type ContextReader = (name: string) => string | undefined;

/** Every option this parser knows, for the error that names an unknown one. */
export const CONTEXT_OPTIONS = [
  "wafScope",
  "networkAclIds",
  "networkAclRuleRange",
  "networkAclRuleLimit",
  "alertEmails",
  "protectedResourceArns",
  "announceUnbans",
  "label",
  "logRetention",
  "ingestReservedConcurrency",
  "reconcileReservedConcurrency",
] as const;

const RETENTION_DAYS = new Set<number>(
  Object.values(logs.RetentionDays).filter((value): value is number => typeof value === "number"),
);

function fail(option: string, reason: string): never {
  throw new ConfigError(reason, { option: `-c ${option}` });
}

function list(read: ContextReader, name: string): string[] | undefined {
  const items = read(name)
    ?.split(/[\s,]+/)
    .filter((item) => item !== "");
  return items?.length ? items : undefined;
}

function wholeNumber(read: ContextReader, name: string, min: number, max: number): number | undefined {
  const text = read(name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    fail(name, `must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return Number(text);
}

/**
 * Parses the context options into construct properties. Throws ConfigError naming the option for a value that is
 * not of its form (the construct then checks the combinations).
 */
export function parseContextProps(read: ContextReader): ContextProps {
  const wafScope = read("wafScope");
  if (wafScope !== undefined && wafScope !== "REGIONAL" && wafScope !== "CLOUDFRONT") {
    fail("wafScope", `must be REGIONAL or CLOUDFRONT, not "${wafScope}"`);
  }
  const rangeText = read("networkAclRuleRange");
  let range: { first: number; last: number } | undefined;
  if (rangeText !== undefined) {
    const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(rangeText);
    if (!match) fail("networkAclRuleRange", `must be "first-last" (for example 1-90), not "${rangeText}"`);
    range = { first: Number(match[1]), last: Number(match[2]) };
  }
  const announce = read("announceUnbans");
  if (announce !== undefined && announce !== "true" && announce !== "false") {
    fail("announceUnbans", `must be true or false, not "${announce}"`);
  }
  const label = read("label");
  // the label goes into alert subjects and the metrics' Stack dimension: printable, short, one line
  if (label !== undefined && !/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$/.test(label)) {
    fail("label", `must be 1 to 40 letters, digits, spaces, dots, dashes or underscores, not ${JSON.stringify(label)}`);
  }
  const retentionText = read("logRetention");
  let logRetention: logs.RetentionDays | undefined;
  if (retentionText !== undefined) {
    const days = retentionText === "infinite" ? logs.RetentionDays.INFINITE : Number(retentionText);
    if (!RETENTION_DAYS.has(days)) {
      fail(
        "logRetention",
        `must be a number of days CloudWatch Logs offers (${[...RETENTION_DAYS].filter((d) => d !== 9999).join(", ")}) or "infinite", not "${retentionText}"`,
      );
    }
    logRetention = days;
  }
  // 1000 is the default account quota; the construct and the deployment check the rest
  const ingestReserved = wholeNumber(read, "ingestReservedConcurrency", 1, 1000);
  const reconcileReserved = wholeNumber(read, "reconcileReservedConcurrency", 1, 1000);
  const ruleLimit = wholeNumber(read, "networkAclRuleLimit", 1, 1000);
  const networkAclIds = list(read, "networkAclIds");
  const alertEmails = list(read, "alertEmails");
  const protectedResourceArns = list(read, "protectedResourceArns");
  return {
    ...(wafScope ? { wafScope } : {}),
    ...(networkAclIds ? { networkAclIds } : {}),
    ...(range ? { networkAclRuleRange: range } : {}),
    ...(ruleLimit !== undefined ? { networkAclRuleLimit: ruleLimit } : {}),
    ...(alertEmails ? { alertEmails } : {}),
    ...(protectedResourceArns ? { protectedResourceArns } : {}),
    ...(announce === "true" ? { announceUnbans: true } : {}),
    ...(label !== undefined ? { label } : {}),
    ...(logRetention !== undefined ? { logRetention } : {}),
    ...(ingestReserved !== undefined ? { ingestReservedConcurrency: ingestReserved } : {}),
    ...(reconcileReserved !== undefined ? { reconcileReservedConcurrency: reconcileReserved } : {}),
  };
}

/**
 * The Region an environment-agnostic stack will be deployed to, as far as synth can know it: the CDK CLI sets
 * CDK_DEFAULT_REGION from the profile or AWS_REGION it will deploy with. CLOUDFRONT IP sets exist only in us-east-1,
 * so a deployment elsewhere is refused here rather than half-way through `cdk deploy`.
 */
export function checkDeployRegion(props: ContextProps, env: NodeJS.ProcessEnv = process.env): void {
  const region = env.CDK_DEFAULT_REGION;
  if (props.wafScope === "CLOUDFRONT" && region && region !== "us-east-1") {
    fail(
      "wafScope",
      `CLOUDFRONT IP sets live in us-east-1, but this deployment goes to ${region}: deploy with AWS_REGION=us-east-1`,
    );
  }
}

// Reads the names users give to ban targets. Security groups are a common first guess, and a wrong one: they hold
// allow rules only, so nothing written there can keep an address out. Saying so at configuration time, with what to
// use instead, beats a deployment that silently protects nothing.
import { ConfigError, type ConfigLocation } from "../../shared/errors.js";

/** A ban target named in the configuration. */
export type BanTargetSpec =
  | { readonly kind: "waf"; readonly scope: "REGIONAL" | "CLOUDFRONT" }
  | { readonly kind: "network-acl"; readonly networkAclId: string };

/** The explanation given whenever a security group is named as a ban target. */
export const SECURITY_GROUP_EXPLANATION =
  "security groups cannot deny: they hold allow rules only, so an address cannot be banned there. " +
  "Name the network ACL of the protected subnets instead (acl-..., the subnet's 'Network ACL' tab in the VPC console), " +
  "and/or use the WAF IP sets (waf or waf:cloudfront) for anything behind a load balancer, API Gateway or CloudFront";

/** A security group was configured as a ban target. */
export class SecurityGroupTargetError extends ConfigError {
  override name = "SecurityGroupTargetError";
  constructor(
    readonly value: string,
    where: ConfigLocation = {},
  ) {
    super(`${JSON.stringify(value)}: ${SECURITY_GROUP_EXPLANATION}`, where);
  }
}

/**
 * Parses one ban target name: `waf` / `waf:regional`, `waf:cloudfront`, or a network ACL id `acl-...`. A security
 * group (`sg-...`, `security-group`, `securitygroup:...`) throws SecurityGroupTargetError; anything else a ConfigError.
 */
export function parseBanTargetSpec(value: string, where: ConfigLocation = {}): BanTargetSpec {
  const text = value.trim();
  const lower = text.toLowerCase();
  if (lower === "waf" || lower === "waf:regional") return { kind: "waf", scope: "REGIONAL" };
  if (lower === "waf:cloudfront") return { kind: "waf", scope: "CLOUDFRONT" };
  if (/^acl-[0-9a-f]{8,17}$/.test(text)) return { kind: "network-acl", networkAclId: text };
  if (/^sg-[0-9a-z]+$/i.test(text) || /^(security[-_ ]?groups?|sg)(:|$)/.test(lower)) {
    throw new SecurityGroupTargetError(text, where);
  }
  throw new ConfigError(
    `unknown ban target ${JSON.stringify(text.slice(0, 80))}: use waf, waf:cloudfront or a network ACL id (acl-...)`,
    where,
  );
}

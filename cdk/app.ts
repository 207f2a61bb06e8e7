// The cloudjail CDK app. Jails come from a jail.local-format file (`-c jails=FILE`, default the example), targets and
// alerts from context values; `npx cdk synth` runs offline with no AWS account (environment-agnostic stack).
//
//   npx cdk deploy -c jails=my/jail.local -c networkAclIds=acl-0123456789abcdef0 -c alertEmails=ops@example.com \
//     --outputs-file cdk-outputs.json
import { join } from "node:path";
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { loadCloudJails } from "../cloud/deployment/cloud-jail-file.js";
import { compileDeployedFilter } from "../cloud/deployment/filter-check.js";
import { CloudjailError } from "../shared/errors.js";
import { CloudjailStack } from "./cloudjail-stack.js";
import { cloudjailProjectRoot } from "./project-root.js";

const app = new App();
const root = cloudjailProjectRoot();
const context = (name: string): string | undefined => {
  const value = app.node.tryGetContext(name);
  return value === undefined || value === "" ? undefined : String(value);
};
const list = (name: string): string[] | undefined =>
  context(name)
    ?.split(/[\s,]+/)
    .filter((item) => item !== "");

try {
  const deployment = loadCloudJails({
    jailFile: context("jails") ?? join(root, "cdk", "example", "jail.local"),
    filterConfigDir: context("config") ?? join(root, "config"),
    checkFilter: compileDeployedFilter,
  });
  const wafScope = context("wafScope");
  if (wafScope !== undefined && wafScope !== "REGIONAL" && wafScope !== "CLOUDFRONT") {
    throw new CloudjailError(`context wafScope must be REGIONAL or CLOUDFRONT, not "${wafScope}"`);
  }
  const range = context("networkAclRuleRange")?.split("-").map(Number);
  new CloudjailStack(app, context("stackName") ?? "Cloudjail", {
    description: "cloudjail: fail2ban for AWS (WAF IP sets, network ACL deny entries, SNS alerts)",
    deployment,
    ...(wafScope ? { wafScope } : {}),
    ...(list("networkAclIds") ? { networkAclIds: list("networkAclIds") } : {}),
    ...(range?.length === 2 ? { networkAclRuleRange: { first: range[0]!, last: range[1]! } } : {}),
    ...(context("networkAclRuleLimit") ? { networkAclRuleLimit: Number(context("networkAclRuleLimit")) } : {}),
    ...(list("alertEmails") ? { alertEmails: list("alertEmails") } : {}),
    ...(list("protectedResourceArns") ? { protectedResourceArns: list("protectedResourceArns") } : {}),
    ...(context("announceUnbans") === "true" ? { announceUnbans: true } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  app.synth();
} catch (error) {
  // Configuration mistakes are the user's to fix: say where and why, without a stack trace.
  if (error instanceof CloudjailError) {
    process.stderr.write(`cloudjail: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

// The cloudjail CDK app. Jails come from a jail.local-format file (`-c jails=FILE`, default the example), targets and
// alerts from context values; `npx cdk synth` runs offline with no AWS account (environment-agnostic stack).
//
//   npx cdk deploy -c jails=my/jail.local -c networkAclIds=acl-0123456789abcdef0 -c alertEmails=ops@example.com \
//     --outputs-file cdk-outputs.json
//
// Every -c option is listed in cdk/deploy-context.ts and docs/cloud-mode.md ("Deploy options").
import { join } from "node:path";
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { loadCloudJails } from "../cloud/deployment/cloud-jail-file.js";
import { compileDeployedFilter } from "../cloud/deployment/filter-check.js";
import { CloudjailError } from "../shared/errors.js";
import { CloudjailStack } from "./cloudjail-stack.js";
import { checkDeployRegion, parseContextProps } from "./deploy-context.js";
import { cloudjailProjectRoot } from "./project-root.js";

const app = new App();
const root = cloudjailProjectRoot();
const context = (name: string): string | undefined => {
  const value = app.node.tryGetContext(name);
  return value === undefined || value === "" ? undefined : String(value);
};

try {
  const deployment = loadCloudJails({
    jailFile: context("jails") ?? join(root, "cdk", "example", "jail.local"),
    filterConfigDir: context("config") ?? join(root, "config"),
    checkFilter: compileDeployedFilter,
  });
  const options = parseContextProps(context);
  checkDeployRegion(options);
  new CloudjailStack(app, context("stackName") ?? "Cloudjail", {
    description: "cloudjail: fail2ban for AWS (WAF IP sets, network ACL deny entries, SNS alerts)",
    deployment,
    ...options,
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

// The bundled filter library as the tests see it: where it lives, which files are filters, and the option
// combinations (modes) each filter offers, so that every variant is run and analysed.
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The bundled configuration tree (the one `cloudjail` uses by default). */
export const bundledConfig = fileURLToPath(new URL("../../config", import.meta.url));
/** Its filter.d folder. */
export const bundledFilterDir = fileURLToPath(new URL("../../config/filter.d", import.meta.url));

/** Shared pieces included by filters; not filters themselves. */
const SHARED = /^cloudjail-.*\.conf$/;

/** Names of the bundled filters (filter.d/*.conf except the shared cloudjail-*.conf pieces). */
export function bundledFilterNames(): string[] {
  return readdirSync(bundledFilterDir)
    .filter((file) => file.endsWith(".conf") && !SHARED.test(file))
    .map((file) => file.slice(0, -".conf".length))
    .sort();
}

/** Every value of `mode` (or another switch) each filter documents; filters not listed have one variant. */
export const FILTER_VARIANTS: Readonly<Record<string, ReadonlyArray<Record<string, string>>>> = {
  sshd: [
    { mode: "normal" },
    { mode: "ddos" },
    { mode: "extra" },
    { mode: "aggressive" },
    { mode: "normal", publickey: "any" },
    { mode: "normal", publickey: "invalid" },
    { mode: "normal", publickey: "ignore" },
    { mode: "aggressive", logtype: "journal" },
    { mode: "normal", logtype: "rfc5424" },
  ],
  "nginx-http-auth": [{ mode: "normal" }, { mode: "fallback" }, { mode: "aggressive" }],
  "apache-auth": [{ mode: "normal" }, { mode: "aggressive" }, { mode: "normal", logging: "syslog" }],
  postfix: [
    { mode: "more" },
    { mode: "normal" },
    { mode: "rbl" },
    { mode: "auth" },
    { mode: "errors" },
    { mode: "ddos" },
    { mode: "extra" },
    { mode: "aggressive" },
  ],
  dovecot: [{ mode: "normal" }, { mode: "aggressive" }],
  exim: [{ mode: "normal" }, { mode: "aggressive" }],
  "traefik-auth": [{ mode: "normal" }, { mode: "ddos" }, { mode: "aggressive" }],
  "mysqld-auth": [{ logtype: "file" }, { logtype: "journal" }],
  "aws-alb": [
    { mode: "auth" },
    { mode: "forbidden" },
    { mode: "botsearch" },
    { mode: "badrequest" },
    { mode: "aggressive" },
  ],
  "aws-cloudfront": [{ mode: "auth" }, { mode: "waf" }, { mode: "botsearch" }, { mode: "aggressive" }],
  "aws-apigateway": [{ mode: "auth" }, { mode: "throttle" }, { mode: "aggressive" }],
  "web-access": [
    { mode: "normal" },
    { mode: "auth" },
    { mode: "forbidden" },
    { mode: "botsearch" },
    { mode: "badrequest" },
    { mode: "aggressive" },
  ],
  guacamole: [{ logging: "catalina" }, { logging: "webapp" }],
  "named-refused": [{ logtype: "file" }, { logtype: "journal" }],
};

/** The option combinations to run for `name`. */
export function variantsOf(name: string): ReadonlyArray<Record<string, string>> {
  return FILTER_VARIANTS[name] ?? [{}];
}

// Filter and action references (`name[k=v, ...]`) and lists of them: a table of inputs with the expected result,
// each also checked against fail2ban's extractOptions / splitWithOptions.
import { beforeAll, describe, expect, it } from "vitest";
import { parseOptionSpec, parseOptionSpecList, splitOptionSpecs } from "../../shared/config/option-spec.js";
import { ConfigError } from "../../shared/errors.js";
import { requireFail2ban } from "../support/reference.js";
import { type ReferenceOutput, runFail2banReader } from "./reference/run-fail2ban-reader.js";

const specs: [string, { name: string; options: Record<string, string> } | { error: RegExp }][] = [
  ["sshd", { name: "sshd", options: {} }],
  ["sshd[mode=aggressive]", { name: "sshd", options: { mode: "aggressive" } }],
  [`sshd[mode=aggressive, k="a,b", x='y']`, { name: "sshd", options: { mode: "aggressive", k: "a,b", x: "y" } }],
  [
    "iptables[name=SSH, port=ssh, protocol=tcp]",
    { name: "iptables", options: { name: "SSH", port: "ssh", protocol: "tcp" } },
  ],
  ["act[a=1][b=2]", { name: "act", options: { a: "1", b: "2" } }],
  ["act[a= 1 ,b=  two words  ]", { name: "act", options: { a: "1", b: "two words" } }],
  ["act[ a = 1]", { error: /expected 'key=value' at ' a = 1'/ }],
  [`act[msg="x]y", other='a"b']`, { name: "act", options: { msg: "x]y", other: 'a"b' } }],
  ["act[k=]", { name: "act", options: { k: "" } }],
  ["act[k=v,]", { name: "act", options: { k: "v" } }],
  ["act[]", { name: "act", options: {} }],
  ["act[k.x-y_z=1]", { name: "act", options: { "k.x-y_z": "1" } }],
  ["sshd [mode=normal]", { name: "sshd ", options: { mode: "normal" } }],
  [
    "/etc/fail2ban/filter.d/sshd.conf[mode=ddos]",
    { name: "/etc/fail2ban/filter.d/sshd.conf", options: { mode: "ddos" } },
  ],
  ["act[multi=line\nvalue]", { name: "act", options: { multi: "line\nvalue" } }],
  [`act[k="a" b]`, { error: /unexpected ' b' after argument 'k'/ }],
  ["act[novalue]", { error: /expected 'key=value' at 'novalue'/ }],
  ["act[k=v, oops]", { error: /expected 'key=value' at ' oops'/ }],
  ["[k=v]", { error: /expected 'name' or 'name\[key=value, \.\.\.\]'/ }],
  ["", { error: /expected 'name'/ }],
];

const lists: [string, string[]][] = [
  ["iptables[name=SSH, port=ssh]", ["iptables[name=SSH, port=ssh]"]],
  ["a b\nc", ["a", "b", "c"]],
  [
    "iptables[name=SSH, port=ssh]\n         sendmail-whois[name=SSH, dest=root]",
    ["iptables[name=SSH, port=ssh]\n        ", "sendmail-whois[name=SSH, dest=root]"],
  ],
  [`act[k="a b", m='c\nd']\n  other`, [`act[k="a b", m='c\nd']\n `, "other"]],
  ["act[a=1]\n[b=2]", ["act[a=1]\n[b=2]"]],
  ["  \n  ", []],
  [`iptables[name=SSH, port="ssh, sftp"] sendmail`, [`iptables[name=SSH, port="ssh, sftp"]`, "sendmail"]],
];

describe("parseOptionSpec and splitOptionSpecs", () => {
  let reference: ReferenceOutput;
  beforeAll(() => {
    requireFail2ban();
    reference = runFail2banReader({ specs: specs.map(([text]) => text), splits: lists.map(([text]) => text) });
  });

  it.each(specs.map(([text, expected], index) => [JSON.stringify(text), text, expected, index] as const))(
    "parses %s",
    (_title, text, expected, index) => {
      const theirs = reference.specs[index]!;
      if ("error" in expected) {
        expect(() => parseOptionSpec(text, { file: "jail.local", line: 7 })).toThrow(ConfigError);
        expect(() => parseOptionSpec(text, { file: "jail.local", line: 7 })).toThrow(expected.error);
        expect(() => parseOptionSpec(text, { file: "jail.local", line: 7 })).toThrow(/^jail\.local:7: /);
        expect(theirs).toHaveProperty("error");
        return;
      }
      expect(parseOptionSpec(text)).toEqual(expected);
      expect(theirs).toEqual(expected);
    },
  );

  it.each(lists.map(([text, expected], index) => [JSON.stringify(text), text, expected, index] as const))(
    "splits %s",
    (_title, text, expected, index) => {
      expect(splitOptionSpecs(text)).toEqual(expected);
      expect(reference.splits[index]).toEqual({ items: expected });
    },
  );

  it("parses a jail's multi-line action value into references", () => {
    expect(parseOptionSpecList('iptables[name=SSH, port=ssh]\n\n  sendmail[dest="root, admin"]\n')).toEqual([
      { name: "iptables", options: { name: "SSH", port: "ssh" } },
      { name: "sendmail", options: { dest: "root, admin" } },
    ]);
  });
});

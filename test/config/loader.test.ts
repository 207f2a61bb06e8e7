// The loader's API as the jail and action readers use it: layer order, raw values with their place, known/ values,
// merged program values, include loops, explicit filter files, overrides and error details.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/config-loader.js";
import { loadFilterDefinition } from "../../shared/config/filter-definition.js";
import { parseIni } from "../../shared/config/ini-parser.js";
import { ConfigError } from "../../shared/errors.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const scratch = mkdtempSync(join(tmpdir(), "cloudjail-config-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const root = join(scratch, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("parseIni", () => {
  it("keeps the file line of every line of a value, across CRLF line ends and comment lines", () => {
    const parsed = parseIni(
      "[Definition]\r\nfailregex = ^a\r\n  # note\r\n  ^b\r\n\r\n  ^c\r\nx = 1 ; why\r\n",
      "f.conf",
    );
    expect(parsed.sections.get("Definition")!.get("failregex")).toEqual({
      value: "^a\n^b\n\n^c",
      file: "f.conf",
      line: 2,
      lines: [2, 4, 5, 6],
    });
    expect(parsed.sections.get("Definition")!.get("x")!.value).toBe("1");
  });

  it("puts [DEFAULT] apart and keeps section names as written", () => {
    const parsed = parseIni("[DEFAULT]\nA = 1\n[Init]\nB: 2\n[init]\nc = 3\n", "f.conf");
    expect([...parsed.defaults.keys()]).toEqual(["a"]);
    expect([...parsed.sections.keys()]).toEqual(["Init", "init"]);
  });

  it("reports where a line is wrong", () => {
    const error = thrown(() => parseIni("[Definition]\nok = 1\n= no name\n", "f.conf"));
    expect(error.where).toEqual({ file: "f.conf", line: 3, section: "Definition" });
    expect(error.message).toBe("f.conf:3 [Definition]: option name missing before '='");
  });
});

describe("loadConfig", () => {
  const web = loadConfig(join(fixtures, "layers-known"), "filter.d/web");

  it("reads includes, .conf, .d/*.conf, .local, .d/*.local in fail2ban's order", () => {
    expect(web.files.map((file) => file.slice(join(fixtures, "layers-known").length + 1))).toEqual([
      "filter.d/common-bits.conf",
      "filter.d/web.conf",
      "filter.d/web.d/10-extra.conf",
      "filter.d/web.local",
      "filter.d/web.d/20-z.local",
    ]);
  });

  it("gives the raw value with its place, and the value it overrode", () => {
    expect(web.raw("Init", "port")).toMatchObject({ value: "8080", line: 6 });
    expect(web.raw("Init", "port")!.file).toMatch(/web\.local$/);
    expect(web.known("Init", "port")).toMatchObject({ value: "80", line: 10 });
    expect(web.getEx("Init", "known/port")).toBe("80");
    expect(web.getEx("Definition", "Init/port")).toBe("8080");
    expect(web.getEx("Definition", "default/_daemon")).toBe("webd");
    expect(web.sections()).toEqual(["INCLUDES", "Init", "Definition"]);
    expect(web.hasSection("KNOWN/Definition")).toBe(true);
  });

  it("lists options with or without [DEFAULT] and answers lookups like fail2ban", () => {
    expect(web.options("Init")).toEqual(["mode", "port"]);
    expect(web.options("Init", true)).toEqual(["mode", "port", "__prefix", "_daemon"]);
    expect(web.hasOption("Init", "_DAEMON")).toBe(true);
    expect(web.hasOption("Init", "_daemon", false)).toBe(false);
    expect(web.get("Init", "missing")).toBeUndefined();
    expect(web.get("Init", "mode", { MODE: "aggressive" })).toBe("aggressive");
    expect(thrown(() => web.get("Nope", "x")).message).toMatch(/no section \[Nope\]/);
  });

  it("lets a jail reader add program values and a filter's options as known/...", () => {
    const jails = loadConfig(
      tree("jail-merge", {
        "jail.conf":
          "[DEFAULT]\nbanner = v%(fail2ban_version)s\n[web]\nlogpath = /var/log/%(__name__)s.log\nre = %(known/failregex)s\n",
      }),
      "jail",
    );
    jails.mergeDefaults({ fail2ban_version: "1.0.2" });
    jails.mergeSection("web", { failregex: "^bad <HOST>", "known/x": "skipped", __name__: "skipped" }, "known/");
    expect(jails.get("web", "banner")).toBe("v1.0.2");
    expect(jails.get("web", "logpath")).toBe("/var/log/web.log");
    expect(jails.get("web", "re")).toBe("^bad <HOST>");
    expect(jails.options("web")).toEqual(["logpath", "re", "known/failregex"]);
  });

  it("cuts include loops and says so", () => {
    const config = loadConfig(join(fixtures, "include-cycle"), "filter.d/a");
    expect(config.warnings).toEqual([expect.stringMatching(/b\.conf: include loop through .*a\.conf skipped/)]);
  });

  it("names the places looked at when nothing exists", () => {
    const error = thrown(() => loadConfig(fixtures, "filter.d/none"));
    expect(error.message).toMatch(
      /no configuration 'filter\.d\/none' found; looked for .*none\.conf, .*none\.d\/\*\.conf/,
    );
    expect(thrown(() => loadConfig(join(scratch, "missing-dir"), "jail")).message).toMatch(/does not exist/);
  });

  it("refuses files that are not UTF-8", () => {
    const root = tree("latin1", { "jail.conf": "" });
    writeFileSync(join(root, "jail.conf"), Buffer.from([0x5b, 0x61, 0x5d, 0x0a, 0x78, 0x3d, 0xe9, 0x0a]));
    expect(thrown(() => loadConfig(root, "jail")).message).toMatch(/jail\.conf: file is not valid UTF-8/);
  });
});

describe("loadFilterDefinition", () => {
  it("places each regex on its own line when the value maps line for line", () => {
    const definition = loadFilterDefinition(join(fixtures, "ini-syntax"), "syn");
    expect(definition.failregex.map((entry) => entry.line)).toEqual([29, 30]);
    expect(definition.file).toBe(join(fixtures, "ini-syntax/filter.d/syn.conf"));
    expect(definition.files[0]).toBe(join(fixtures, "ini-syntax/filter.d/inc/base.conf"));
    expect(definition.options).toMatchObject({ maxlines: "2", logtype: "file" });
  });

  it("accepts a name with extension, a path inside filter.d, and a foreign file with the .local beside it", () => {
    const root = join(fixtures, "layers-known");
    const byName = loadFilterDefinition(root, "web.conf[mode=aggressive]");
    const byPath = loadFilterDefinition("/nonexistent", {
      name: join(root, "filter.d/web.conf"),
      options: { mode: "aggressive" },
    });
    expect(byPath.failregex).toEqual(byName.failregex);
    expect(byName.failregex).toHaveLength(4);

    const foreign = tree("foreign", {
      "elsewhere/mine.conf": "[Definition]\nfailregex = ^conf <HOST>\n",
      "elsewhere/mine.local": "[Definition]\nfailregex = ^local <HOST>\n",
    });
    const definition = loadFilterDefinition("/nonexistent", join(foreign, "elsewhere/mine.conf"));
    expect(definition.failregex.map((entry) => entry.pattern)).toEqual(["^local <HOST>"]);
    expect(definition.files).toHaveLength(2);
  });

  it("lets the caller's options replace the filter's and feed %(...)s", () => {
    const root = tree("overrides", {
      "filter.d/f.conf": "[Definition]\nfailregex = ^%(who)s <HOST>\nmaxlines = 1\ndatepattern = {^LN-BEG}\n",
    });
    const definition = loadFilterDefinition(root, "f", { who: "admin", maxlines: "5" });
    expect(definition.failregex.map((entry) => entry.pattern)).toEqual(["^admin <HOST>"]);
    expect(definition.maxlines).toBe(5);
    expect(definition.datepattern).toBe("{^LN-BEG}");
  });

  it("sets logtype from the backend unless the filter or the arguments say otherwise", () => {
    const root = tree("logtype", {
      "filter.d/f.conf": "[Definition]\nfailregex = ^<logtype> <HOST>\n",
      "filter.d/own.conf": "[Definition]\nlogtype = short\nfailregex = ^<logtype> <HOST>\n",
    });
    const pattern = (spec: string, backend?: string) =>
      loadFilterDefinition(root, spec, {}, backend ? { backend } : {}).failregex[0]!.pattern;
    expect(pattern("f")).toBe("^file <HOST>");
    expect(pattern("f", "systemd[journalflags=1]")).toBe("^journal <HOST>");
    expect(pattern("f[logtype=rfc5424]", "systemd")).toBe("^rfc5424 <HOST>");
    expect(pattern("own", "systemd")).toBe("^short <HOST>");
  });

  it("refuses an include fragment and an unknown filter clearly", () => {
    const root = tree("fragment", { "filter.d/common.conf": "[DEFAULT]\n_daemon = x\n" });
    const fragment = thrown(() => loadFilterDefinition(root, "common"));
    expect(fragment.message).toMatch(/common\.conf: no \[Definition\] section/);
    const unknown = thrown(() => loadFilterDefinition(root, "sshd"));
    expect(unknown.message).toMatch(/unknown filter 'sshd': none of .*filter\.d\/sshd\.conf, .*\*\.local exists/);
    expect(thrown(() => loadFilterDefinition(root, join(root, "nope.conf"))).message).toMatch(/does not exist/);
  });

  it("puts file, line, section and option on interpolation errors", () => {
    const error = thrown(() => loadFilterDefinition(join(fixtures, "error-missing-reference"), "f"));
    expect(error.where).toMatchObject({ line: 2, section: "Definition", option: "failregex" });
    expect(error.where.file).toMatch(/error-missing-reference\/filter\.d\/f\.conf$/);
  });
});

describe("loadFilterDefinition called by a jail reader", () => {
  it("reports reference errors at the jail's line", () => {
    const where = { file: "jail.local", line: 4, section: "sshd", option: "filter" };
    const unknown = thrown(() => loadFilterDefinition(fixtures, "nothere[mode=x]", {}, { where }));
    expect(unknown.message).toMatch(/^jail\.local:4 \[sshd\] filter: unknown filter 'nothere'/);
    const syntax = thrown(() => loadFilterDefinition(fixtures, "sshd[mode]", {}, { where }));
    expect(syntax.where).toEqual(where);
  });
});

describe("definitions without [Definition]", () => {
  it("name the file asked for, not its first include", () => {
    const root = tree("fragment-with-include", {
      "filter.d/base.conf": "[DEFAULT]\nx = 1\n",
      "filter.d/pieces.conf": "[INCLUDES]\nbefore = base.conf\n[DEFAULT]\ny = 2\n",
    });
    const error = thrown(() => loadFilterDefinition(root, "pieces"));
    expect(error.where.file).toBe(join(root, "filter.d/pieces.conf"));
    expect(error.message).toMatch(
      /pieces\.conf: no \[Definition\] section: not a filter or action definition \(read .*base\.conf, .*pieces\.conf\)/,
    );
  });
});

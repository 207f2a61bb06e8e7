"""Runs fail2ban's own configuration readers and prints what they resolve, as JSON, for the conformance tests.

Input (stdin, JSON): {"configDir": DIR, "filters": [{"name": N, "options": {...}, "backend": B} or {"spec": "N[k=v]"}],
                      "jails": [{"name": J, "options": [OPT, ...]}], "configs": [{"name": N, "gets": [[S, O]]}],
                      "actions": [{"name": N, "jail": J, "options": {...}, "jailOptions": {...}}],
                      "specs": [TEXT], "splits": [TEXT], "tags": [{"values": {...}, "conditional": C, "ignore": [...]}],
                      "replacements": [{"query": Q, "values": {...}, "conditional": C}]}
Output (stdout, JSON): {"filters": [...], "jails": [...], "configs": [...], "specs": [...], ...} in the same order; each entry holds the resolved values or
{"error": MESSAGE}. fail2ban is imported from PYTHONPATH (the unpacked reference package).
"""
import json
import sys

from fail2ban.client.actionreader import ActionReader
from fail2ban.client.configreader import ConfigReader
from fail2ban.client.filterreader import FilterReader
from fail2ban.client.jailreader import JailReader
from fail2ban.helpers import extractOptions, splitWithOptions, substituteRecursiveTags
from fail2ban.server.action import CommandAction


def read_filter(config_dir, case):
    if "spec" in case:  # a reference such as "name[k=v]", parsed by fail2ban itself
        case = dict(case, **dict(zip(("name", "options"), extractOptions(case["spec"]))))
    reader = FilterReader(case["name"], "cloudjail-conformance", dict(case.get("options") or {}),
                          share_config={}, basedir=case.get("configDir") or config_dir)
    if not reader.read():
        return {"error": "filter not found"}
    reader.applyAutoOptions(case.get("backend") or "auto")
    has_definition = reader.has_section("Definition")
    reader.getOptions(None)
    combined = reader.getCombined()
    result = {"failregex": [], "ignoreregex": [], "options": {k: v for k, v in combined.items() if v is not None}}
    # The command stream is what fail2ban's server receives: read the regexes and settings from there.
    for command in reader.convert():
        kind, _jail, what = command[0], command[1], command[2]
        values = command[3] if kind == "multi-set" else command[3:]
        if what in ("addfailregex", "addignoreregex"):
            result[what[3:]] += values
        elif what in ("prefregex", "datepattern", "maxlines", "usedns"):
            result[what] = values[0]
    journalmatch = combined.get("journalmatch")
    if journalmatch is not None:
        result["journalmatch"] = [line for line in journalmatch.split("\n") if line != ""]
    if not has_definition:
        result["noDefinition"] = True
    if combined.get("logtype") is not None:
        result["logtype"] = combined["logtype"]
    return result


def read_jail(config_dir, case):
    reader = JailReader(case["name"], force_enable=True, share_config={}, basedir=config_dir)
    reader.read()
    if not reader.getOptions():
        return {"error": reader.options.get("config-error", "jail options failed")}
    return {"options": {name: reader.options.get(name) for name in case["options"]}}


def read_config(config_dir, case):
    reader = ConfigReader(basedir=case.get("configDir") or config_dir)
    if not reader.read(case["name"]):
        return {"error": "config not found"}
    gets = case.get("gets")
    if gets is None:  # every option of every section, [DEFAULT] included
        gets = [[section, option] for section in ["DEFAULT"] + list(reader.sections())
                for option in (reader.options(section) if section != "DEFAULT" else reader._cfg.get_defaults())]
    values = []
    for section, option in gets:
        try:
            values.append(reader.get(section, option))
        except Exception as error:
            values.append({"error": "%s: %s" % (type(error).__name__, error)})
    return {"sections": list(reader.sections()), "gets": gets, "values": values}


def read_action(config_dir, case):
    reader = ActionReader(case["name"], case["jail"], dict(case.get("options") or {}),
                          share_config={}, basedir=config_dir)
    if not reader.read():
        return {"error": "action not found"}
    if not reader.has_section("Definition"):
        return {"noDefinition": True}
    reader.getOptions(dict(case.get("jailOptions") or {}))
    values = {}
    for command in reader.convert():
        if command[0] == "multi-set":
            values.update(dict(command[4]))
        elif command[0] == "set" and command[2] == "action":
            values[command[4]] = command[5]
    return {"name": reader.getName(), "values": values}


def parse_spec(_config_dir, text):
    name, options = extractOptions(text)
    return {"name": name, "options": options}


def split_specs(_config_dir, text):
    return {"items": splitWithOptions(text)}


def substitute_tags(_config_dir, case):
    values = substituteRecursiveTags(case["values"], case.get("conditional", ""), ignore=case.get("ignore", ()))
    return {"values": dict(values)}


def replace_tag(_config_dir, case):
    return {"value": CommandAction.replaceTag(case["query"], case["values"], case.get("conditional", ""))}


def guarded(fn, config_dir, case):
    try:
        return fn(config_dir, case)
    except Exception as error:  # the test compares failures too
        return {"error": "%s: %s" % (type(error).__name__, error)}


def main():
    request = json.load(sys.stdin)
    config_dir = request.get("configDir")
    out = {
        "filters": [guarded(read_filter, config_dir, case) for case in request.get("filters", [])],
        "jails": [guarded(read_jail, config_dir, case) for case in request.get("jails", [])],
        "configs": [guarded(read_config, config_dir, case) for case in request.get("configs", [])],
        "actions": [guarded(read_action, config_dir, case) for case in request.get("actions", [])],
        "specs": [guarded(parse_spec, config_dir, text) for text in request.get("specs", [])],
        "splits": [guarded(split_specs, config_dir, text) for text in request.get("splits", [])],
        "tags": [guarded(substitute_tags, config_dir, case) for case in request.get("tags", [])],
        "replacements": [guarded(replace_tag, config_dir, case) for case in request.get("replacements", [])],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

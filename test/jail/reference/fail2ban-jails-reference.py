# Reads a jail configuration tree with the reference fail2ban's own JailReader (every jail forced enabled, as
# `fail2ban-client -t` checks them) and prints, per jail, the options it resolved and how it split the filter and
# action references. Usage: fail2ban-jails-reference.py CONFIG_DIR
import json
import sys

from fail2ban.client.configreader import ConfigReader
from fail2ban.client.jailreader import JailReader
from fail2ban.client.jailsreader import JailsReader
from fail2ban.helpers import extractOptions, splitWithOptions
from fail2ban.server.mytime import MyTime

base = sys.argv[1]
jails = JailsReader(basedir=base, force_enable=True)
jails.read()
answer = {}
for name in jails.sections():
    if name == "INCLUDES":
        continue
    reader = JailReader(name, force_enable=True, share_config=jails.share_config, basedir=base)
    reader.read()
    ok = reader.getOptions()
    options = dict(reader.options or {})
    extra = ConfigReader.getOptions(reader, name, {"port": ["string", None], "protocol": ["string", None],
                                                    "enabled": ["string", "false"]})
    entry = {"ok": bool(ok), "options": {k: v for k, v in options.items() if isinstance(v, (str, int, bool))}}
    entry["enabledRaw"] = extra.get("enabled")
    entry["seconds"] = {key: MyTime.str2seconds(options[key]) for key in ("findtime", "bantime") if key in options}
    entry["port"] = extra.get("port")
    entry["protocol"] = extra.get("protocol")
    if options.get("filter"):
        filter_name, filter_options = extractOptions(options["filter"])
        entry["filter"] = [filter_name, filter_options]
    actions = []
    for text in splitWithOptions(options.get("action", "")):
        text = text.strip()
        if text:
            action_name, action_options = extractOptions(text)
            actions.append([action_name, action_options])
    entry["actions"] = actions
    answer[name] = entry
json.dump(answer, sys.stdout)

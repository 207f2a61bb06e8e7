"""Differential check: feeds recorded line sequences to the reference fail2ban's own Filter class.

Reads one JSON request on stdin:
  {"fail2ban": PYTHONPATH, "configDir": DIR, "timeZone": TZ, "now": EPOCH,
   "jobs": [{"key": K, "name": FILTER, "options": {...}, "calls": [{"line": L, "time": T?, "timeText": S?}]}]}
and prints {"K": [[{"id", "time", "nofail", "host", "regexIndex"}...] per call]} on stdout. The filters are
configured as fail2ban's sample tests configure them (raw hosts, every failregex checked, no find-time window).
"""
import json
import os
import sys
import time

request = json.load(sys.stdin)
sys.path.insert(0, request["fail2ban"])
os.environ["TZ"] = request["timeZone"]
time.tzset()

from fail2ban.client.filterreader import FilterReader  # noqa: E402
from fail2ban.server.filter import Filter  # noqa: E402
from fail2ban.server.mytime import MyTime  # noqa: E402

MyTime.setTime(request["now"])


def make_filter(name, options):
    flt = Filter(None)
    flt.returnRawHost = True
    flt.checkAllRegex = True
    flt.checkFindTime = False
    flt.active = True
    reader = FilterReader(name, "jail", dict(options), basedir=request["configDir"], share_config={})
    if not reader.read():
        raise SystemExit("cannot read filter %s in %s" % (name, request["configDir"]))
    reader.getOptions({})
    for opt in reader.convert():
        values = opt[3] if opt[0] == "multi-set" else [opt[3]]
        for value in values:
            if opt[2] == "prefregex":
                flt.prefRegex = value
            elif opt[2] == "addfailregex":
                flt.addFailRegex(value)
            elif opt[2] == "addignoreregex":
                flt.addIgnoreRegex(value)
            elif opt[2] == "maxlines":
                flt.setMaxLines(value)
            elif opt[2] == "datepattern":
                flt.setDatePattern(value)
    return flt


out = {}
for job in request["jobs"]:
    flt = make_filter(job["name"], job["options"])
    results = []
    for call in job["calls"]:
        if call.get("time") is not None:
            ret = flt.processLine(("", call.get("timeText", ""), call["line"]), call["time"])
        else:
            ret = flt.processLine(call["line"])
        failures = []
        for index, fid, when, fail in ret or []:
            failures.append({
                "regexIndex": index,
                "id": str(fid) if fid is not None else "",
                "time": when,
                "nofail": bool(fail.get("nofail")),
                "host": str(fail.get("host") or fid or ""),
            })
        results.append(failures)
    out[job["key"]] = results
json.dump(out, sys.stdout)

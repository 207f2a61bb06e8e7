"""Reads date-detection cases as JSON on stdin, runs them through fail2ban's own DateDetector, prints JSON results.

Input: {"cases": [{"tz": "Europe/Paris", "datepattern": null | "...", "logtimezone": null | "...",
                   "lines": [{"line": "...", "now": 1234567890}]}]}
Output: {"results": [{"error": null | "...", "lines": [null | {"time": t | null, "start": s, "end": e,
                      "template": name}], "hits": [[name, hits], ...]}]}
With "describe": [patterns], also answers "templates": [{"name", "regex", "flags"} | {"error"}], the template
fail2ban builds for each pattern. A time of null with a span means the template matched but fail2ban could not read the date; "empty" marks an
empty date group (no date by configuration).
"""
import json
import os
import re
import sys
import time

from fail2ban.server.datedetector import DateDetector, _getPatternTemplate
from fail2ban.server.mytime import MyTime


def run_case(case):
    os.environ["TZ"] = case.get("tz") or "UTC"
    time.tzset()
    detector = DateDetector()
    try:
        detector.default_tz = case.get("logtimezone")
        pattern = case.get("datepattern")
        if pattern is not None:
            for entry in filter(bool, map(str.strip, re.split("\n+", pattern))):
                detector.appendTemplate(entry)
            # fail2ban compiles a template on its first search; compile now so that a bad regex is reported here.
            for template in detector.templates:
                template.template._compileRegex()
    except Exception as error:  # the pattern itself is rejected
        return {"error": "%s: %s" % (type(error).__name__, error), "lines": [], "hits": []}
    out = []
    for item in case["lines"]:
        MyTime.setTime(item["now"])
        line = item["line"]
        match, template = detector.matchTime(line)
        if match is None:
            out.append(None)
            continue
        start, end = match.span(1)
        text = line[start:end] if start >= 0 else ""
        if not text:
            value = "empty"
        else:
            try:
                date = detector.getTime(text, (match, template))
                value = date[0] if date is not None else None
            except Exception:
                value = None
        out.append({"time": value, "start": start, "end": end, "template": template.name})
    MyTime.setTime(None)
    return {"error": None, "lines": out, "hits": [[t.name, t.hits] for t in detector.templates]}


def describe(pattern):
    try:
        template = _getPatternTemplate(pattern)
        return {"name": template.name, "regex": template.regex, "flags": template.flags}
    except Exception as error:
        return {"error": "%s: %s" % (type(error).__name__, error)}


def main():
    request = json.load(sys.stdin)
    out = {"results": [run_case(case) for case in request.get("cases", [])]}
    out["templates"] = [describe(pattern) for pattern in request.get("describe", [])]
    json.dump(out, sys.stdout)


main()

# Reference answers for the differential tests: reads one JSON request on stdin, answers one JSON document on
# stdout. "re" requests run CPython's re module; "f2b-*" requests run the reference fail2ban package found on
# sys.path (PYTHONPATH). Positions are converted to UTF-16 offsets so that they compare with JavaScript's.
import json
import logging
import os
import re
import sys

logging.disable(logging.CRITICAL)


def u16(text, index):
    return len(text[:index].encode("utf-16-le")) // 2


def plain(value):
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def re_flags(f):
    flags = 0
    if f.get("ignoreCase"): flags |= re.IGNORECASE
    if f.get("multiline"): flags |= re.MULTILINE
    if f.get("dotAll"): flags |= re.DOTALL
    if f.get("verbose"): flags |= re.VERBOSE
    if f.get("ascii"): flags |= re.ASCII
    return flags


def run_re(items):
    out = []
    for item in items:
        pattern = item["pattern"]
        try:
            cre = re.compile(pattern, re_flags(item.get("flags", {})))
        except re.error as e:
            out.append({"error": {"message": e.msg, "index": u16(pattern, e.pos or 0)}})
            continue
        except (OverflowError, ValueError) as e:
            out.append({"error": {"message": str(e), "index": 0}})
            continue
        results = []
        for text in item["texts"]:
            if item.get("full"):
                m = cre.fullmatch(text)
            else:
                m = cre.match(text) if item.get("anchored") else cre.search(text)
            if m is None:
                results.append(None)
            else:
                result = {"start": u16(text, m.start()), "end": u16(text, m.end()), "text": m.group(0),
                          "groups": m.groupdict()}
                if item.get("spans"):
                    result["spans"] = {name: None if m.start(name) < 0 else [u16(text, m.start(name)), u16(text, m.end(name))]
                                       for name in cre.groupindex}
                results.append(result)
        out.append({"results": results})
    return out


def f2b_filters(conf, init_sets):
    from fail2ban.client.filterreader import FilterReader
    out = []
    seen = set()
    for fn in sorted(os.listdir(os.path.join(conf, "filter.d"))):
        if not fn.endswith(".conf"):
            continue
        name = fn[:-5]
        for init in init_sets:
            try:
                fr = FilterReader(name, "j", init, basedir=conf)
                if not fr.read():
                    continue
                fr.getOptions({})
                opts = fr.getCombined()
            except Exception:
                continue
            for opt in ("prefregex", "failregex", "ignoreregex"):
                value = opts.get(opt)
                if not value:
                    continue
                for rx in value.split("\n"):
                    if rx == "" or (opt, rx) in seen:
                        continue
                    seen.add((opt, rx))
                    out.append({"filter": name, "opt": opt, "regex": rx, "maxlines": opts.get("maxlines")})
    return out


def f2b_expand(items):
    # The text fail2ban hands to re.compile: tags resolved, then ((?i)x) turned into (?i:x).
    from fail2ban.server import failregex
    out = []
    for item in items:
        expanded = failregex.Regex._resolveHostTag(item["regex"], useDns=item.get("useDns", "yes"))
        if failregex.R_GLOB2LOCFLAGS:
            expanded = failregex.R_GLOB2LOCFLAGS[0].sub(failregex.R_GLOB2LOCFLAGS[1], expanded)
        out.append({"expanded": expanded})
    return out


def f2b_match(items):
    from fail2ban.server.failregex import FailRegex, Regex
    out = []
    for item in items:
        kwargs = {"useDns": item.get("useDns", "yes"), "multiline": bool(item.get("multiline"))}
        try:
            if item.get("prefRegex"):
                r = Regex(item["regex"], **kwargs)
            else:
                prefix = Regex(item["prefix"], useDns=kwargs["useDns"]) if item.get("prefix") else None
                r = FailRegex(item["regex"], prefRegex=prefix, **kwargs)
        except Exception as e:
            out.append({"error": str(e)})
            continue
        results = []
        for lines in item["buffers"]:
            tuples = [(line, "", "") for line in lines]
            r.search(tuples)
            if not r.hasMatched():
                results.append(None)
                continue
            res = {"groups": {k: plain(v) for k, v in r.getGroups().items()}}
            ids = {id(t): k for k, t in enumerate(tuples)}
            res["matchedLines"] = [ids[id(t)] for t in r.getMatchedTupleLines()]
            res["unmatchedLines"] = [ids[id(t)] for t in r.getUnmatchedTupleLines()]
            if not item.get("prefRegex"):
                # The failure id as fail2ban's filter takes it: the merged F-ID (a TUPLE_ makes it a tuple) first.
                fid = r.getGroups().get("fid")
                try:
                    res["failId"] = str(fid) if fid is not None else r.getFailID()
                except Exception:
                    res["failId"] = None
                try:
                    res["host"] = r.getHost()
                except Exception:
                    res["host"] = None
            results.append(res)
        out.append({"results": results})
    return out


def f2b_strip_dates(lines):
    # Each line without its timestamp, as fail2ban's filter hands it to the regexes (default date templates).
    from fail2ban.server.datedetector import DateDetector
    detector = DateDetector()
    detector.addDefaultTemplate()
    out = []
    for line in lines:
        m = detector.matchTime(line)[0]
        out.append(line[:m.start(1)] + line[m.end(1):] if m else line)
    return out


def main():
    request = json.load(sys.stdin)
    kind = request["kind"]
    if kind == "re":
        answer = run_re(request["items"])
    elif kind == "f2b-filters":
        answer = f2b_filters(request["config"], request["init"])
    elif kind == "f2b-expand":
        answer = f2b_expand(request["items"])
    elif kind == "f2b-strip-dates":
        answer = f2b_strip_dates(request["lines"])
    elif kind == "f2b-match":
        answer = f2b_match(request["items"])
    else:
        raise SystemExit("unknown request kind %r" % kind)
    json.dump(answer, sys.stdout)


main()

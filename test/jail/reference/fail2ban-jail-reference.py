# Asks the reference fail2ban (its own Python code, imported from the unpacked Debian package) the answers the
# jail tests compare against. Reads one JSON request on stdin, writes one JSON answer on stdout.
#   {"kind": "time", "values": ["10m", ...]}            -> [seconds or {"error": "..."}]
#   {"kind": "formula", "formula": F, "factor": X, "multipliers": M, "maxtime": T, "bantime": B, "counts": [...]}
#                                                        -> [ban time per previous-ban count]
#   {"kind": "counting", "findtime": F, "maxretry": N, "times": [...]}
#                                                        -> [{"retry": r, "ban": bool}] per failure
import json
import sys

from fail2ban.server.failmanager import FailManager
from fail2ban.server.jail import Jail
from fail2ban.server.mytime import MyTime
from fail2ban.server.observer import ObserverThread
from fail2ban.server.ticket import FailTicket


def times(request):
    out = []
    for value in request["values"]:
        try:
            out.append(MyTime.str2seconds(value))
        except Exception as error:  # any failure of the reference is an "error" answer
            out.append({"error": type(error).__name__})
    return out


def formula(request):
    jail = Jail("reference", backend="polling")
    jail.setBanTimeExtra("increment", "true")
    for option in ("formula", "factor", "multipliers", "maxtime"):
        if request.get(option) is not None:
            jail.setBanTimeExtra(option, str(request[option]))
    observer = ObserverThread()
    return [observer.calcBanTime(jail, request["bantime"], count) for count in request["counts"]]


def counting(request):
    manager = FailManager()
    manager.setMaxTime(request["findtime"])
    manager.setMaxRetry(request["maxretry"])
    out = []
    for time in request["times"]:
        manager.cleanup(time)
        retry = manager.addFailure(FailTicket("192.0.2.1", time))
        banned = False
        if retry >= request["maxretry"]:
            manager.toBan("192.0.2.1")
            banned = True
        out.append({"retry": retry, "ban": banned})
    return out


request = json.load(sys.stdin)
answer = {"time": times, "formula": formula, "counting": counting}[request["kind"]](request)
json.dump(answer, sys.stdout)

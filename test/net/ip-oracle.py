# Reads a JSON list of strings on stdin and prints, for each, how Python's ipaddress module and the reference
# fail2ban's IPAddr (socket.inet_pton underneath) read it: null when invalid, else [family, decimal value].
# IPv4-mapped IPv6 addresses are reported by ipaddress as IPv6 plus the mapped IPv4 value.
import ipaddress
import json
import sys

from fail2ban.server.ipdns import IPAddr


def by_ipaddress(text):
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return [address.version, str(int(address)), None if mapped is None else str(int(mapped))]


def by_fail2ban(text):
    try:
        address = IPAddr(text)
    except Exception:  # fail2ban raises on some malformed masks; that is "not an address" here
        return None
    if not address.isValid:
        return None
    return [4 if address.isIPv4 else 6, str(address.addr)]


inputs = json.load(sys.stdin)
json.dump([{"python": by_ipaddress(text), "fail2ban": by_fail2ban(text)} for text in inputs], sys.stdout)

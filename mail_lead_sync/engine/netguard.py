"""Where the sync may connect: public mail servers only.

A server name comes from a user, an address's DNS or an autoconfig document, so it
may name the machine Odoo runs on, the company's private network or a cloud's
metadata service. :class:`HostPolicy` resolves a name, refuses it when any of its
addresses is not public (unless the administrator allows private hosts, as tests
and demos on loopback do), and gives back the checked address to connect to, so a
second, different DNS answer cannot slip in between the check and the connection.
"""

import ipaddress
import re
import socket

from . import errors

# Ports a detected server may use (a port a user types is theirs to choose).
MAIL_PORTS = frozenset({25, 143, 465, 587, 993, 2525})
HTTPS_PORTS = frozenset({443})

# Cloud metadata services; most are already non-public ranges, named here so a
# future change of what Python calls "global" cannot let them through.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)\Z", re.IGNORECASE)
_NAME_UNKNOWN = {getattr(socket, n) for n in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, n)}


def host_name(value):
    """``value`` as a bare server name or IP address (no scheme, port, path or user),
    lower case; raises HostRefused with words otherwise."""
    host = (value or "").strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    labels = ascii_host.split(".")
    if not ascii_host or len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise errors.HostRefused.of("not_a_host_name", value=value)
    return ascii_host


def _effective(ip):
    """The IPv4 address an IPv6 address carries to (mapped, NAT64, 6to4, Teredo)."""
    if ip.version == 6:
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.ip_address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour:
            return ip.sixtofour
        if ip.teredo:
            return ip.teredo[1]
    return ip


def is_public(address):
    """True for an address on the public internet (not loopback, private, link-local,
    shared, reserved, multicast, unspecified or a metadata service)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    for candidate in {ip, _effective(ip)}:
        if candidate in METADATA_ADDRESSES or not candidate.is_global or candidate.is_multicast:
            return False
    return True


def system_lookup(host):
    """The addresses of ``host`` from the system's resolver."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


class HostPolicy:
    """``HostPolicy(allow_private=False, lookup=None).address("imap.example.com")``
    -> the checked IP to connect to. ``lookup(name) -> [addresses]`` is for tests
    (their DNS server on loopback); ``allow_private`` also allows any port on a
    detected server, as a lab or test network's servers use any."""

    def __init__(self, allow_private=False, lookup=None):
        self.allow_private = bool(allow_private)
        self.lookup = lookup or system_lookup

    def port_allowed(self, port, ports=MAIL_PORTS):
        return self.allow_private or port in ports

    def addresses(self, host):
        name = host_name(host)
        try:
            found = [str(ipaddress.ip_address(name))]
        except ValueError:
            try:
                found = list(self.lookup(name))
            except socket.gaierror as exc:
                if exc.errno in _NAME_UNKNOWN:
                    raise errors.HostNotFound.of("host_not_found", str(exc), host=name) from exc
                raise errors.ConnectionFailed.of("dns_no_answer", str(exc), host=name) from exc
            except (OSError, UnicodeError) as exc:
                raise errors.HostNotFound.of("host_not_found", str(exc), host=name) from exc
        if not found:
            raise errors.HostNotFound.of("host_not_found", host=name)
        if not self.allow_private and not all(is_public(a) for a in found):
            raise errors.HostRefused.of("private_host", f"{name} -> {', '.join(found)}", host=name)
        return found

    def address(self, host):
        """The first checked address of ``host``."""
        return self.addresses(host)[0]

"""A DNS server on 127.0.0.1 answering from a zone table, for tests that must
resolve names without leaving the machine. Plain Python (dnspython), no Odoo."""

import socket
import ssl
import threading

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset

from ..engine.autodetect import Detector
from ..engine.netguard import HostPolicy


class DnsServer:
    """``DnsServer({("imap.example.test", "A"): ["127.0.0.1"]})``; names not in
    the table answer NXDOMAIN. ``resolver()`` gives a dnspython resolver using it."""

    def __init__(self, zone=None, port=0):
        self.bind_port = port  # 53 in a private network namespace
        self.zone = {
            (name.lower().rstrip("."), rdtype): list(values) for (name, rdtype), values in (zone or {}).items()
        }
        self.queries = []
        self._sock = None

    def start(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", self.bind_port))
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    @property
    def port(self):
        return self._sock.getsockname()[1]

    def stop(self):
        if self._sock:
            self._sock.close()
            self._sock = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def add(self, name, rdtype, *values):
        self.zone.setdefault((name.lower().rstrip("."), rdtype), []).extend(values)

    def resolver(self):
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        resolver.lifetime = 2
        return resolver

    def lookup(self, host):
        """A name's addresses (A and AAAA) through this server, for a HostPolicy;
        unknown names fail here, never through the system's resolver (which would
        leave the machine)."""
        found = []
        for rdtype in ("A", "AAAA"):
            try:
                found += [r.address for r in self.resolver().resolve(host, rdtype)]
            except dns.exception.DNSException:
                pass
        return found

    def policy(self, allow_private=True):
        """The host policy of a machine whose DNS is this server (loopback allowed,
        as the tests' servers are there, unless said otherwise)."""
        return HostPolicy(allow_private=allow_private, lookup=self.lookup)

    def detector(self, cafile, policy=None, **options):
        """A real Detector whose lookups and connections all go through this server."""
        return Detector(
            self.resolver(), ssl_context=ssl.create_default_context(cafile=cafile), timeout=2,
            policy=policy or self.policy(), **options,
        )  # fmt: skip

    def _serve(self):
        while self._sock:
            try:
                data, peer = self._sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            reply.flags |= dns.flags.AA
            question = query.question[0]
            name = question.name.to_text().lower().rstrip(".")
            rdtype = dns.rdatatype.to_text(question.rdtype)
            self.queries.append((name, rdtype))
            values = self.zone.get((name, rdtype))
            if values:
                reply.answer.append(dns.rrset.from_text(question.name, 60, dns.rdataclass.IN, rdtype, *values))
            elif not any(key[0] == name for key in self.zone):
                reply.set_rcode(dns.rcode.NXDOMAIN)
            self._sock.sendto(reply.to_wire(), peer)

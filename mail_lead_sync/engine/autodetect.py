"""Find a mailbox's IMAP server from its address alone.

Sources, in order; every candidate is checked by a real connection before it is
proposed, and the first that answers wins:
1. well-known providers, by the address's domain, then by the domain's MX hosts
   (so a company domain hosted by Google or Microsoft is recognized and offered
   its sign-in button);
2. Mozilla-style autoconfig documents (autoconfig.<domain>, then
   <domain>/.well-known/autoconfig/);
3. RFC 6186 SRV records (_imaps._tcp, then _imap._tcp);
4. guesses: imap.<domain>, mail.<domain>.

DNS goes through a dnspython resolver the caller may give (tests point one at a
DNS server on loopback); names of candidates are connected to as they are, unless
the caller maps them (``address_of``), as tests do through that same DNS server.
"""

import http.client
import ssl
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import dns.exception
import dns.resolver

from . import addresses, errors
from .imap import ImapMailbox, ImapSettings


@dataclass(frozen=True, slots=True)
class Candidate:
    host: str
    port: int
    security: str  # 'ssl', 'starttls' or 'none'
    source: str  # 'provider', 'autoconfig', 'srv' or 'guess'
    username: str = "email"  # what to log in with: 'email' or 'localpart'


@dataclass(frozen=True, slots=True)
class Provider:
    key: str
    name: str
    imap: tuple  # (host, port, security)
    domains: frozenset
    mx_suffixes: tuple = ()
    oauth: str = ""  # 'google' or 'microsoft' when the provider has a sign-in flow


PROVIDERS = (
    Provider("gmail", "Google", ("imap.gmail.com", 993, "ssl"), frozenset({"gmail.com", "googlemail.com"}),
             ("google.com", "googlemail.com"), "google"),
    Provider("microsoft", "Microsoft 365", ("outlook.office365.com", 993, "ssl"),
             frozenset({"outlook.com", "hotmail.com", "live.com", "msn.com"}), ("outlook.com",), "microsoft"),
    Provider("yahoo", "Yahoo", ("imap.mail.yahoo.com", 993, "ssl"), frozenset({"yahoo.com", "ymail.com"}),
             ("yahoodns.net",)),
    Provider("icloud", "iCloud", ("imap.mail.me.com", 993, "ssl"), frozenset({"icloud.com", "me.com", "mac.com"}),
             ("icloud.com",)),
    Provider("fastmail", "Fastmail", ("imap.fastmail.com", 993, "ssl"), frozenset({"fastmail.com", "fastmail.fm"}),
             ("messagingengine.com",)),
    Provider("zoho", "Zoho Mail", ("imap.zoho.com", 993, "ssl"), frozenset({"zoho.com", "zohomail.com"}),
             ("zoho.com", "zoho.eu")),
    Provider("gmx", "GMX", ("imap.gmx.net", 993, "ssl"), frozenset({"gmx.com", "gmx.net", "gmx.de"}), ("gmx.net",)),
)  # fmt: skip

_SOCKET_TYPES = {"SSL": "ssl", "STARTTLS": "starttls", "plain": "none"}


@dataclass(slots=True)
class Detection:
    email: str
    provider: Provider | None = None
    candidates: list = field(default_factory=list)
    found: Candidate | None = None
    tried: list = field(default_factory=list)  # [(Candidate, plain-language error)]

    @property
    def login(self):
        if self.found and self.found.username == "localpart":
            return self.email.partition("@")[0]
        return self.email

    def explain(self):
        """Why nothing was found, in words a salesperson can act on."""
        if self.found:
            return ""
        if not self.tried:
            return f"No mail server could be found for {addresses.domain_of(self.email)}: enter its settings."
        lines = [f"- {c.host}:{c.port} ({c.security}): {error}" for c, error in self.tried]
        return "No mail server answered. Tried:\n" + "\n".join(lines) + "\nEnter the server settings by hand."


class Detector:
    """``Detector(resolver).detect("dana@example.com")``; every argument is for
    tests or unusual networks: the defaults use the system's DNS, ports 80/443
    for autoconfig and the system's certificate authorities."""

    def __init__(self, resolver=None, http_port=80, https_port=443, ssl_context=None, timeout=5.0, address_of=None):
        self.resolver = resolver or dns.resolver.Resolver()
        self.http_port, self.https_port = http_port, https_port
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.address_of = address_of or (lambda host: host)

    # -- sources ---------------------------------------------------------------
    def _lookup(self, name, rdtype):
        try:
            return list(self.resolver.resolve(name, rdtype, lifetime=self.timeout))
        except (dns.exception.DNSException, OSError):
            return []

    def provider_for(self, domain):
        for provider in PROVIDERS:
            if domain in provider.domains:
                return provider
        mx_hosts = [str(r.exchange).rstrip(".").lower() for r in self._lookup(domain, "MX")]
        for provider in PROVIDERS:
            if any(h == s or h.endswith("." + s) for h in mx_hosts for s in provider.mx_suffixes):
                return provider
        return None

    def _http_get(self, host, path, secure):
        try:
            address = self.address_of(host)
        except errors.SyncError:
            return None
        if secure:
            context = self.ssl_context or ssl.create_default_context()
            conn = http.client.HTTPSConnection(address, self.https_port, timeout=self.timeout, context=context)
        else:
            conn = http.client.HTTPConnection(address, self.http_port, timeout=self.timeout)
        try:
            conn.request("GET", path, headers={"Host": host, "User-Agent": "mail_lead_sync autodetect"})
            response = conn.getresponse()
            return response.read() if response.status == 200 else None
        except (OSError, http.client.HTTPException, ssl.SSLError):
            return None
        finally:
            conn.close()

    def autoconfig(self, email, domain):
        query = "?" + urllib.parse.urlencode({"emailaddress": email})
        places = (
            (f"autoconfig.{domain}", "/mail/config-v1.1.xml" + query),
            (domain, "/.well-known/autoconfig/mail/config-v1.1.xml"),
        )
        for host, path in places:
            for secure in (True, False):
                document = self._http_get(host, path, secure)
                if document:
                    found = parse_autoconfig(document)
                    if found:
                        return found
        return []

    def srv(self, domain):
        found = []
        for service, security in (("_imaps._tcp", "ssl"), ("_imap._tcp", "starttls")):
            records = sorted(self._lookup(f"{service}.{domain}", "SRV"), key=lambda r: (r.priority, -r.weight))
            for record in records:
                target = str(record.target).rstrip(".")
                if target:  # "." means: no such service here (RFC 2782)
                    found.append(Candidate(target, record.port, security, "srv"))
        return found

    @staticmethod
    def guesses(domain):
        return [
            Candidate(f"{prefix}.{domain}", port, security, "guess")
            for port, security in ((993, "ssl"), (143, "starttls"))
            for prefix in ("imap", "mail")
        ]

    # -- the search --------------------------------------------------------------
    def candidates(self, email, provider):
        domain = addresses.domain_of(email)
        found = []
        if provider:
            found.append(Candidate(*provider.imap, "provider"))
        found += self.autoconfig(email, domain) + self.srv(domain) + self.guesses(domain)
        return list(dict.fromkeys(found))  # first source wins on duplicates

    def verify(self, candidate):
        """None when an IMAP server answers there, else why not (in words)."""
        try:
            address = self.address_of(candidate.host)
        except errors.SyncError as exc:
            return str(exc)
        settings = ImapSettings(
            host=address, port=candidate.port, security=candidate.security, timeout=self.timeout,
            ssl_context=self.ssl_context,
        )  # fmt: skip
        try:
            ImapMailbox(settings).probe()
        except errors.SyncError as exc:
            return str(exc).replace(f"{address}:", f"{candidate.host}:")
        return None

    def detect(self, email, provider=None):
        """Find and verify the server of ``email`` (``provider``: already looked up)."""
        email = addresses.normalize(email) or ""
        detection = Detection(email)
        if "@" not in email:
            return detection
        detection.provider = provider or self.provider_for(addresses.domain_of(email))
        detection.candidates = self.candidates(email, detection.provider)
        for candidate in detection.candidates:
            error = self.verify(candidate)
            if error is None:
                detection.found = candidate
                break
            detection.tried.append((candidate, error))
        return detection


def parse_autoconfig(document):
    """IMAP servers of a Mozilla autoconfig document (clientConfig v1.1), in order."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        return []
    found = []
    for server in root.iter("incomingServer"):
        if server.get("type") != "imap":
            continue
        host = (server.findtext("hostname") or "").strip()
        port = (server.findtext("port") or "").strip()
        security = _SOCKET_TYPES.get((server.findtext("socketType") or "").strip())
        username = (server.findtext("username") or "").strip()
        if host and port.isdigit() and security:
            found.append(
                Candidate(host, int(port), security, "autoconfig", "localpart" if "LOCALPART" in username else "email")
            )
    return found

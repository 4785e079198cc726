"""Find a mailbox's IMAP server (and its outgoing SMTP server) from its address alone.

Sources, in order; every candidate is checked by a real connection before it is
proposed, and the first that answers wins:
1. well-known providers, by the address's domain, then by the domain's MX hosts
   (so a company domain hosted by Google or Microsoft is recognized and offered
   its sign-in button);
2. Mozilla-style autoconfig documents (autoconfig.<domain>, then
   <domain>/.well-known/autoconfig/);
3. RFC 6186 SRV records (_imaps._tcp, then _imap._tcp);
4. guesses: imap.<domain>, mail.<domain>.

The outgoing server is found the same way: the provider table, autoconfig's
outgoingServer, RFC 6186/8314 SRV records (_submissions._tcp, _submission._tcp),
then smtp.<domain>/mail.<domain>; verified by connecting (and STARTTLS), never by
sending.

DNS goes through a dnspython resolver the caller may give (tests point one at a
DNS server on loopback). Every connection goes through a :class:`HostPolicy`:
public addresses only (unless allowed), checked after the name is resolved, and the
checked address is the one connected to. A detected server on a port that is not a
mail port is not tried; autoconfig is fetched over HTTPS only; no server's own text
is shown, only words.
"""

import http.client
import ipaddress
import logging
import smtplib
import socket
import ssl
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import dns.exception
import dns.resolver

from . import addresses, errors
from .imap import ImapMailbox, ImapSettings
from .netguard import HTTPS_PORTS, HostPolicy

_logger = logging.getLogger(__name__)


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
    smtp: tuple = ()  # (host, port, security) of its submission server


PROVIDERS = (
    Provider("gmail", "Google", ("imap.gmail.com", 993, "ssl"), frozenset({"gmail.com", "googlemail.com"}),
             ("google.com", "googlemail.com"), "google", ("smtp.gmail.com", 465, "ssl")),
    Provider("microsoft", "Microsoft 365", ("outlook.office365.com", 993, "ssl"),
             frozenset({"outlook.com", "hotmail.com", "live.com", "msn.com"}), ("outlook.com",), "microsoft",
             ("smtp.office365.com", 587, "starttls")),
    Provider("yahoo", "Yahoo", ("imap.mail.yahoo.com", 993, "ssl"), frozenset({"yahoo.com", "ymail.com"}),
             ("yahoodns.net",), "", ("smtp.mail.yahoo.com", 465, "ssl")),
    Provider("icloud", "iCloud", ("imap.mail.me.com", 993, "ssl"), frozenset({"icloud.com", "me.com", "mac.com"}),
             ("icloud.com",), "", ("smtp.mail.me.com", 587, "starttls")),
    Provider("fastmail", "Fastmail", ("imap.fastmail.com", 993, "ssl"), frozenset({"fastmail.com", "fastmail.fm"}),
             ("messagingengine.com",), "", ("smtp.fastmail.com", 465, "ssl")),
    Provider("zoho", "Zoho Mail", ("imap.zoho.com", 993, "ssl"), frozenset({"zoho.com", "zohomail.com"}),
             ("zoho.com", "zoho.eu"), "", ("smtp.zoho.com", 465, "ssl")),
    Provider("gmx", "GMX", ("imap.gmx.net", 993, "ssl"), frozenset({"gmx.com", "gmx.net", "gmx.de"}), ("gmx.net",),
             "", ("mail.gmx.net", 587, "starttls")),
)  # fmt: skip

_SOCKET_TYPES = {"SSL": "ssl", "STARTTLS": "starttls", "plain": "none"}


@dataclass(slots=True)
class Detection:
    email: str
    provider: Provider | None = None
    candidates: list = field(default_factory=list)
    found: Candidate | None = None
    tried: list = field(default_factory=list)  # [(Candidate, SyncError saying why not)]

    @property
    def login(self):
        if self.found and self.found.username == "localpart":
            return self.email.partition("@")[0]
        return self.email

    def explain(self):
        """Why nothing was found, in English words a salesperson can act on (the
        addon says it in the user's language from ``tried``)."""
        if self.found:
            return ""
        if not self.tried:
            return f"No mail server could be found for {addresses.domain_of(self.email)}: enter its settings."
        lines = [f"- {c.host}:{c.port} ({c.security}): {error}" for c, error in self.tried]
        return "No mail server answered. Tried:\n" + "\n".join(lines) + "\nEnter the server settings by hand."


def known_provider_host(host):
    """True when ``host`` is a server of a provider in the table (or under one of its
    mail domains): a password may go there without asking."""
    host = (host or "").lower().rstrip(".")
    for provider in PROVIDERS:
        servers = {provider.imap[0], provider.smtp[0] if provider.smtp else ""} - {""}
        if host in servers or any(host == s or host.endswith("." + s) for s in provider.mx_suffixes):
            return True
    return False


def within_domain(host, domain):
    """True when ``host`` is the address's own domain or a name under it."""
    host, domain = (host or "").lower().rstrip("."), (domain or "").lower().rstrip(".")
    return bool(domain) and (host == domain or host.endswith("." + domain))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the address the policy checked, the certificate checked against the name."""

    def __init__(self, host, address, port, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedSMTP(smtplib.SMTP):
    def __init__(self, address, *args, **kwargs):
        self._address = address
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        return socket.create_connection((self._address, port), timeout, self.source_address)


class _PinnedSMTPSSL(smtplib.SMTP_SSL):
    def __init__(self, address, *args, **kwargs):
        self._address = address
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        sock = socket.create_connection((self._address, port), timeout, self.source_address)
        return self.context.wrap_socket(sock, server_hostname=self._host)


class Detector:
    """``Detector(resolver).detect("dana@example.com")``; every argument is for
    tests or unusual networks: the defaults use the system's DNS, port 443 for
    autoconfig, the system's certificate authorities and public servers only
    (``policy``: a :class:`HostPolicy`)."""

    def __init__(self, resolver=None, https_port=443, ssl_context=None, timeout=5.0, policy=None):
        self.resolver = resolver or dns.resolver.Resolver()
        self.https_port = https_port
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.policy = policy or HostPolicy()
        self._documents = {}

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

    def _http_get(self, host, path):
        """An autoconfig document over HTTPS (never plain HTTP: a document fetched in
        the clear could send the password anywhere), or None."""
        if not self.policy.port_allowed(self.https_port, HTTPS_PORTS):
            return None
        try:
            address = self.policy.address(host)
        except errors.SyncError as exc:
            _logger.info("autoconfig at %s not fetched: %s", host, exc)
            return None
        context = self.ssl_context or ssl.create_default_context()
        conn = _PinnedHTTPSConnection(host, address, self.https_port, timeout=self.timeout, context=context)
        try:
            conn.request("GET", path, headers={"Host": host, "User-Agent": "mail_lead_sync autodetect"})
            response = conn.getresponse()
            return response.read(1 << 20) if response.status == 200 else None
        except (OSError, http.client.HTTPException, ssl.SSLError):
            return None
        finally:
            conn.close()

    def _autoconfig_documents(self, email, domain):
        """The autoconfig documents found for the domain (fetched once per detector)."""
        key = (email, domain)
        if key not in self._documents:
            query = "?" + urllib.parse.urlencode({"emailaddress": email})
            places = (
                (f"autoconfig.{domain}", "/mail/config-v1.1.xml" + query),
                (domain, "/.well-known/autoconfig/mail/config-v1.1.xml"),
            )
            self._documents[key] = [document for host, path in places if (document := self._http_get(host, path))]
        return self._documents[key]

    def autoconfig(self, email, domain, kind="imap"):
        parse = parse_autoconfig if kind == "imap" else parse_autoconfig_smtp
        for document in self._autoconfig_documents(email, domain):
            found = self._mail_ports(parse(document))
            if found:
                return found
        return []

    def _srv(self, domain, services):
        found = []
        for service, security in services:
            records = sorted(self._lookup(f"{service}.{domain}", "SRV"), key=lambda r: (r.priority, -r.weight))
            for record in records:
                target = str(record.target).rstrip(".")
                if target:  # "." means: no such service here (RFC 2782)
                    found.append(Candidate(target, record.port, security, "srv"))
        return self._mail_ports(found)

    def _mail_ports(self, candidates):
        """What DNS or a document names may not point the probe at any port."""
        return [c for c in candidates if self.policy.port_allowed(c.port)]

    def srv(self, domain):
        return self._srv(domain, (("_imaps._tcp", "ssl"), ("_imap._tcp", "starttls")))

    def srv_submission(self, domain):
        return self._srv(domain, (("_submissions._tcp", "ssl"), ("_submission._tcp", "starttls")))

    @staticmethod
    def smtp_guesses(domain):
        if _ip_literal(domain):
            return [
                Candidate(_ip_literal(domain), port, security, "guess")
                for port, security in ((587, "starttls"), (465, "ssl"))
            ]
        return [
            Candidate(f"{prefix}.{domain}", port, security, "guess")
            for port, security in ((587, "starttls"), (465, "ssl"))
            for prefix in ("smtp", "mail")
        ]

    @staticmethod
    def guesses(domain):
        if _ip_literal(domain):
            return [
                Candidate(_ip_literal(domain), port, security, "guess")
                for port, security in ((993, "ssl"), (143, "starttls"))
            ]
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
        if not _ip_literal(domain):  # an address at an IP number has no DNS or web server to ask
            found += self.autoconfig(email, domain) + self.srv(domain)
        found += self.guesses(domain)
        return list(dict.fromkeys(found))  # first source wins on duplicates

    def verify(self, candidate):
        """None when an IMAP server answers there, else why not (a :class:`~.errors.SyncError`,
        whose ``str()`` says it in words)."""
        settings = ImapSettings(
            host=candidate.host, port=candidate.port, security=candidate.security, timeout=self.timeout,
            ssl_context=self.ssl_context, policy=self.policy,
        )  # fmt: skip
        try:
            ImapMailbox(settings).probe()
        except errors.SyncError as exc:
            return exc
        return None

    def verify_smtp(self, candidate):
        """None when an SMTP server answers there (EHLO, and TLS as announced), else why
        not (a :class:`~.errors.SyncError`)."""
        where = f"{candidate.host}:{candidate.port}"
        try:
            address = self.policy.address(candidate.host)
        except errors.SyncError as exc:
            return exc
        context = self.ssl_context or ssl.create_default_context()
        try:
            if candidate.security == "ssl":
                client = _PinnedSMTPSSL(address, candidate.host, candidate.port, timeout=self.timeout, context=context)
            else:
                client = _PinnedSMTP(address, candidate.host, candidate.port, timeout=self.timeout)
            with client:
                client.ehlo()
                if candidate.security == "starttls":
                    client.starttls(context=context)
                    client.ehlo()
        except ssl.SSLError as exc:
            _logger.info("outgoing server %s: %s", where, exc)
            return errors.TlsFailed.of("smtp_tls_failed", str(exc), where=where)
        except (OSError, smtplib.SMTPException) as exc:
            # The server's own words (its banner, an error line) go to the log only.
            _logger.info("outgoing server %s: %s", where, exc)
            return errors.ConnectionFailed.of("smtp_no_answer", str(exc), where=where)
        return None

    def detect_smtp(self, email, provider=None):
        """Find and verify the outgoing (submission) server of ``email``."""
        email = addresses.normalize(email) or ""
        detection = Detection(email, provider)
        if "@" not in email:
            return detection
        domain = addresses.domain_of(email)
        found = [Candidate(*provider.smtp, "provider")] if provider and provider.smtp else []
        if not _ip_literal(domain):
            found += self.autoconfig(email, domain, "smtp") + self.srv_submission(domain)
        found += self.smtp_guesses(domain)
        detection.candidates = list(dict.fromkeys(found))
        return _first_answering(detection, self.verify_smtp)

    def detect(self, email, provider=None):
        """Find and verify the server of ``email`` (``provider``: already looked up)."""
        email = addresses.normalize(email) or ""
        detection = Detection(email)
        if "@" not in email:
            return detection
        detection.provider = provider or self.provider_for(addresses.domain_of(email))
        detection.candidates = self.candidates(email, detection.provider)
        return _first_answering(detection, self.verify)


def _ip_literal(domain):
    """The IP address of a domain written as one (``x@[10.0.0.1]``, ``x@10.0.0.1``), else ""."""
    try:
        return str(ipaddress.ip_address(domain.strip("[]")))
    except ValueError:
        return ""


def _first_answering(detection, verify):
    for candidate in detection.candidates:
        error = verify(candidate)
        if error is None:
            detection.found = candidate
            break
        detection.tried.append((candidate, error))
    return detection


def parse_autoconfig(document, element="incomingServer", kind="imap"):
    """IMAP servers of a Mozilla autoconfig document (clientConfig v1.1), in order."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        return []
    found = []
    for server in root.iter(element):
        if server.get("type") != kind:
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


def parse_autoconfig_smtp(document):
    """SMTP (outgoing) servers of an autoconfig document, in order."""
    return parse_autoconfig(document, "outgoingServer", "smtp")
